using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace BpoStudio.Core.Injection;

public sealed record LlmRewrite(string? Text, string? Failure, int Attempts, string Model, InjectionMode? Mode, long CompletionTokens = 0)
{
    public bool Succeeded => Text is not null;
}

/// <summary>
/// Error injection and paraphrase through Semantic Kernel's chat completion, against any OpenAI-compatible endpoint
/// (or, by handing it another <see cref="IChatCompletionService"/>, the local engine). Output that is empty, the same
/// as the input or not an answer is rejected with its reason and retried.
/// </summary>
public sealed partial class LlmInjector(IChatCompletionService chat, IOptions<LlmBackendOptions> options, RemoteCallPolicy? policy = null)
{
    private LlmBackendOptions Options => options.Value;

    public static IChatCompletionService CreateOpenAICompatible(LlmBackendOptions options, HttpClient? http = null)
    {
        if (!options.IsConfigured) throw new ConflictError($"Set {LlmBackendOptions.Section}:BaseUrl and :Model to use an LLM backend.");
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(options.Model, new Uri(options.BaseUrl!), string.IsNullOrEmpty(options.ApiKey) ? "none" : options.ApiKey, httpClient: http);
        return builder.Build().GetRequiredService<IChatCompletionService>();
    }

    public Task<LlmRewrite> InjectErrorsAsync(string prompt, string answer, long? seed, PromptSet? prompts = null, CancellationToken ct = default)
    {
        prompts ??= PromptSet.Default;
        var mode = InjectionPrompts.ModeFor(prompt, answer);
        var template = mode == InjectionMode.Description ? prompts.Description : prompts.QuestionAnswering;
        return RewriteAsync(InjectionPrompts.Render(template, prompt, answer), answer, seed, mode, ct);
    }

    public Task<LlmRewrite> ParaphraseAsync(string prompt, string answer, long? seed, PromptSet? prompts = null, CancellationToken ct = default) =>
        RewriteAsync(InjectionPrompts.Render((prompts ?? PromptSet.Default).Paraphrase, prompt, answer), answer, seed, mode: null, ct);

    private async Task<LlmRewrite> RewriteAsync(string instruction, string original, long? seed, InjectionMode? mode, CancellationToken ct)
    {
        var history = new ChatHistory(InjectionPrompts.System);
        history.AddUserMessage(instruction);
        var reasons = new List<string>();
        var attempts = Math.Max(1, Options.MaxAttempts);
        long tokens = 0;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var settings = new OpenAIPromptExecutionSettings
            {
                Temperature = Options.Temperature,
                TopP = Options.TopP,
                MaxTokens = Options.MaxTokens,
                Seed = seed is { } s ? s + attempt - 1 : null,
            };
            var reply = policy is null ? await chat.GetChatMessageContentAsync(history, settings, cancellationToken: ct)
                : await policy.RunAsync(() => chat.GetChatMessageContentAsync(history, settings, cancellationToken: ct), ct);
            tokens += CompletionTokens(reply);
            var text = Clean(reply.Content);
            var problem = Problem(text, original);
            if (problem is null) return new LlmRewrite(text, null, attempt, Options.Model, mode, tokens);
            reasons.Add($"attempt {attempt}: {problem}");
        }
        return new LlmRewrite(null, string.Join("; ", reasons), attempts, Options.Model, mode, tokens);
    }

    private static long CompletionTokens(ChatMessageContent reply) =>
        reply.Metadata?.TryGetValue("Usage", out var usage) == true && usage is OpenAI.Chat.ChatTokenUsage counted ? counted.OutputTokenCount : 0;

    // Models like to announce their answer ("Modified description: ..."); keep only the answer itself.
    private static string Clean(string? content)
    {
        var text = (content ?? "").Trim().Trim('"').Trim();
        return Preamble().Replace(text, "").Trim();
    }

    private static string? Problem(string text, string original)
    {
        if (text.Length == 0) return "the reply was empty";
        if (Normalize(text) == Normalize(original)) return "the reply repeated the input unchanged";
        if (Refusal().IsMatch(text)) return "the reply was not an answer (a refusal or a remark about the task)";
        if (text.Length > Math.Max(400, original.Length * 4)) return "the reply was far longer than the input";
        return null;
    }

    private static string Normalize(string text) => Whitespace().Replace(text.Trim().TrimEnd('.').ToLowerInvariant(), " ");

    [GeneratedRegex(@"^(?:modified description|modified answer|answer for a similar image|paraphrase|rewritten (?:text|answer)|here is[^:\n]*)\s*:\s*", RegexOptions.IgnoreCase)]
    private static partial Regex Preamble();

    [GeneratedRegex(@"^(?:i'?m sorry|i am sorry|i cannot|i can't|as an ai|sorry,|i'm unable|i am unable)|\b(?:the original (?:description|answer)|modified version)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Refusal();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
