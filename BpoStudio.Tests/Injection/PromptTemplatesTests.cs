using BpoStudio.Core.Data;
using BpoStudio.Core.Injection;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BpoStudio.Tests.Injection;

public class PromptTemplatesTests
{
    [Fact]
    public async Task ShippedTemplatesApplyUntilSaved_ThenTheSavedOnesAreUsed()
    {
        await using var core = await CoreServices.StartAsync();
        var templates = core.Get<PromptTemplates>();
        Assert.Equal(PromptSet.Default, await templates.GetAsync());

        var edited = PromptSet.Default with { QuestionAnswering = "Q: {prompt}\nA: {answer}\nWrong answer:" };
        await templates.SaveAsync(edited, "lead@example.test");

        Assert.Equal(edited, await templates.GetAsync());
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "prompts.save" && a.UserName == "lead@example.test"));
    }

    [Fact]
    public async Task TemplateWithoutPlaceholder_IsRefusedByName()
    {
        await using var core = await CoreServices.StartAsync();
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            core.Get<PromptTemplates>().SaveAsync(PromptSet.Default with { QuestionAnswering = "Answer: {answer}" }, "lead"));
        Assert.Contains("question-answering template must contain {prompt}", error.Message);
    }

    [Fact]
    public async Task InjectorUsesTheGivenTemplates_AndCountsCompletionTokens()
    {
        await using var server = await ScriptedChatServer.StartAsync("The bus is red.", "The bus is blue.");
        var options = new LlmBackendOptions { BaseUrl = server.BaseUrl, Model = "tiny-llm" };
        var injector = new LlmInjector(LlmInjector.CreateOpenAICompatible(options), Options.Create(options));

        var result = await injector.InjectErrorsAsync("What colour is the bus?", "The bus is red.", 1,
            PromptSet.Default with { QuestionAnswering = "CUSTOM {prompt} -> {answer}" });

        Assert.Equal("The bus is blue.", result.Text);
        Assert.Equal("CUSTOM What colour is the bus? -> The bus is red.", server.Requests.First()["messages"]!.AsArray().Last()!["content"]!.ToString());
        Assert.Equal(20, result.CompletionTokens); // two replies of 10 completion tokens each
    }
}
