using BpoStudio.Core.Injection;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace BpoStudio.Tests.Injection;

public class LlmInjectorTests
{
    private const string Prompt = "What colour is the bus?";
    private const string Answer = "The bus is red.";

    [Fact]
    public async Task RejectsUnchangedAndRefusals_ThenAcceptsAnAnswer_OverRealHttp()
    {
        await using var server = await ScriptedChatServer.StartAsync(
            "The bus is red.", "I'm sorry, I cannot help with that.", "Answer for a similar image: The bus is green.");
        var injector = Create(server);

        var result = await injector.InjectErrorsAsync(Prompt, Answer, seed: 5);

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal("The bus is green.", result.Text);
        Assert.Equal(3, result.Attempts);
        Assert.Equal(InjectionMode.QuestionAnswering, result.Mode);
        var requests = server.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.All(requests, r =>
        {
            Assert.Equal("tiny-llm", r["model"]!.GetValue<string>());
            Assert.Equal(0.8, r["temperature"]!.GetValue<double>(), 3);
            Assert.Equal(0.95, r["top_p"]!.GetValue<double>(), 3);
        });
        Assert.Equal([5L, 6L, 7L], requests.Select(r => r["seed"]!.GetValue<long>()));
        var user = requests[0]["messages"]!.AsArray().Last()!["content"]!.ToString();
        Assert.Contains("Question: What colour is the bus?", user);
        Assert.Contains("Answer: The bus is red.", user);
    }

    [Fact]
    public async Task GivesUpWithEveryReason_WhenNoAttemptIsUsable()
    {
        await using var server = await ScriptedChatServer.StartAsync("", "the bus is red", "As an AI, I won't.");
        var result = await Create(server).InjectErrorsAsync(Prompt, Answer, seed: null);

        Assert.False(result.Succeeded);
        Assert.Contains("attempt 1: the reply was empty", result.Failure);
        Assert.Contains("attempt 2: the reply repeated the input unchanged", result.Failure);
        Assert.Contains("attempt 3: the reply was not an answer", result.Failure);
    }

    [Fact]
    public async Task LongDescriptionsUseDescriptionMode_AndParaphraseKeepsFacts()
    {
        await using var server = await ScriptedChatServer.StartAsync("A tall man walks a brown dog beside a yellow taxi.", "A red bus is what the picture shows.");
        var injector = Create(server);

        var injected = await injector.InjectErrorsAsync("Describe the image in detail.", "A man walks a black dog beside a yellow taxi.", seed: 1);
        var paraphrase = await injector.ParaphraseAsync(Prompt, Answer, seed: 1);

        Assert.Equal(InjectionMode.Description, injected.Mode);
        Assert.Contains("Modify the description", server.Requests.First()["messages"]!.AsArray().Last()!["content"]!.ToString());
        Assert.Equal("A red bus is what the picture shows.", paraphrase.Text);
        Assert.Contains("Paraphrase this answer", server.Requests.Last()["messages"]!.AsArray().Last()!["content"]!.ToString());
    }

    private static LlmInjector Create(ScriptedChatServer server)
    {
        var options = new LlmBackendOptions { BaseUrl = server.BaseUrl, Model = "tiny-llm", ApiKey = "test-key" };
        return new LlmInjector(LlmInjector.CreateOpenAICompatible(options), Options.Create(options));
    }
}
