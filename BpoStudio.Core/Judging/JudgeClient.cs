using System.Net;
using BpoStudio.Core.Injection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace BpoStudio.Core.Judging;

/// <summary>What the judge was shown for one pair.</summary>
public sealed record JudgeCase(long PairId, string Question, string Chosen, string Rejected, IReadOnlyList<byte[]> Images);

/// <summary>What came back for one pair: the votes, the tokens spent and a rationale from the majority's side.</summary>
public sealed record JudgeOutcome(long PairId, JudgeTally Tally, long Tokens, string? Rationale, bool SawImage);

/// <summary>What came back for one claim: the share of yes votes (null without a verdict), and a rationale from the majority.</summary>
public sealed record ClaimOutcome(Claim Claim, double? Holds, int Votes, int Unparsable, long Tokens, string? Rationale);

/// <summary>
/// Asks an OpenAI-compatible server with the image(s), the question and both answers, in both orders (chosen as A,
/// then as B) and <c>samples</c> times each. Calls go through a <see cref="RemoteCallPolicy"/> (at most MaxConcurrency in
/// flight; 429 and 5xx retried with backoff); a timed-out call is retried the same way; a reply that is not a verdict is
/// asked again up to RetriesPerUnparsable times and then counted as unparsable.
/// </summary>
public sealed class JudgeClient
{
    private readonly JudgeOptions _options;
    private readonly LlmBackendOptions _server;
    private readonly RemoteCallPolicy _policy;
    private readonly IChatCompletionService _chat;
    private volatile bool _schemaRefused;

    public JudgeClient(JudgeOptions options, LlmBackendOptions server, TimeSpan? timeout)
        : this(options, server, LlmInjector.CreateOpenAICompatible(server, new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(120) }))
    {
    }

    /// <summary>
    /// A judge over any chat service: the local vision model's (<see cref="Generation.LocalChatClient"/>) when no server
    /// is set, which takes no response format (the prompt asks for the JSON verdict all the same).
    /// </summary>
    public JudgeClient(JudgeOptions options, LlmBackendOptions settings, IChatCompletionService chat, bool takesJsonSchema = true)
    {
        (_options, _server, _chat, _schemaRefused) = (options, settings, chat, !takesJsonSchema);
        _policy = new RemoteCallPolicy(Options.Create(settings));
    }

    public string Model => _server.Model;

    public async Task<JudgeOutcome> JudgeAsync(JudgeCase pair, JudgePrompt prompt, int samples, long seed, CancellationToken ct)
    {
        var calls = new List<Task<(JudgeVerdict? Verdict, long Tokens)>>();
        for (var sample = 0; sample < samples; sample++)
        {
            calls.Add(AskAsync(pair, prompt, pair.Chosen, pair.Rejected, seed + 2 * sample, ct));
            calls.Add(AskAsync(pair, prompt, pair.Rejected, pair.Chosen, seed + 2 * sample + 1, ct));
        }
        var replies = await Task.WhenAll(calls);
        var asA = replies.Where((_, i) => i % 2 == 0).Select(r => r.Verdict).OfType<JudgeVerdict>().ToList();
        var asB = replies.Where((_, i) => i % 2 == 1).Select(r => r.Verdict).OfType<JudgeVerdict>().ToList();
        var tally = new JudgeTally(asA, asB, replies.Count(r => r.Verdict is null));
        var majorityForChosen = tally.PreferChosen >= 0.5;
        var rationale = asA.Where(v => (v.Preferred == Preferred.A) == majorityForChosen).Concat(asB.Where(v => (v.Preferred == Preferred.B) == majorityForChosen))
            .Select(v => v.Rationale).FirstOrDefault(r => !string.IsNullOrWhiteSpace(r)) ?? asA.Concat(asB).Select(v => v.Rationale).FirstOrDefault();
        return new JudgeOutcome(pair.PairId, tally, replies.Sum(r => r.Tokens), rationale is { Length: > 2000 } ? rationale[..2000] : rationale, pair.Images.Count > 0);
    }

    /// <summary>Asks <paramref name="samples"/> times whether the claim is true of the image(s); the share of yes votes is how far it holds.</summary>
    public async Task<ClaimOutcome> CheckClaimAsync(IReadOnlyList<byte[]> images, string question, Claim claim, JudgePrompt prompt, int samples, long seed, CancellationToken ct)
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, samples).Select(sample =>
            AskAsync(images, prompt.System, prompt.RenderClaim(question, claim.Text), ClaimVerdict.Schema, ClaimVerdict.Parse, seed + sample, ct)));
        var verdicts = replies.Select(r => r.Verdict).OfType<ClaimVerdict>().ToList();
        double? holds = verdicts.Count == 0 ? null : verdicts.Count(v => v.Holds) / (double)verdicts.Count;
        var rationale = verdicts.Where(v => v.Holds == holds >= 0.5).Select(v => v.Rationale).FirstOrDefault(r => !string.IsNullOrWhiteSpace(r));
        return new ClaimOutcome(claim, holds, verdicts.Count, replies.Length - verdicts.Count, replies.Sum(r => r.Tokens), rationale is { Length: > 2000 } ? rationale[..2000] : rationale);
    }

    private Task<(JudgeVerdict? Verdict, long Tokens)> AskAsync(JudgeCase pair, JudgePrompt prompt, string a, string b, long seed, CancellationToken ct) =>
        AskAsync(pair.Images, prompt.System, prompt.Render(pair.Question, a, b), JudgeVerdict.Schema, JudgeVerdict.Parse, seed, ct);

    // A reply that is not a verdict is asked again, up to RetriesPerUnparsable times.
    private async Task<(T? Verdict, long Tokens)> AskAsync<T>(IReadOnlyList<byte[]> images, string system, string text, string schema, Func<string, T?> parse, long seed,
        CancellationToken ct) where T : class
    {
        var history = new ChatHistory();
        history.AddSystemMessage(system);
        history.AddUserMessage([.. images.Select(bytes => (KernelContent)new ImageContent(bytes, Imaging.ImageDecoding.ReadHeader(bytes).ContentType)), new TextContent(text)]);
        long tokens = 0;
        for (var attempt = 0; attempt <= _options.RetriesPerUnparsable; attempt++)
        {
            var (reply, used) = await CompleteAsync(history, schema, seed + 1_000_003L * attempt, ct);
            tokens += used;
            if (parse(reply) is { } verdict) return (verdict, tokens);
        }
        return (null, tokens);
    }

    private async Task<(string Text, long Tokens)> CompleteAsync(ChatHistory history, string schema, long seed, CancellationToken ct)
    {
        for (var timeouts = 1; ; timeouts++)
        {
            var settings = new OpenAIPromptExecutionSettings { Temperature = _server.Temperature, TopP = 1, MaxTokens = _server.MaxTokens, Seed = seed };
            if (_options.JsonSchema && !_schemaRefused)
                settings.ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("verdict", BinaryData.FromString(schema), jsonSchemaIsStrict: true);
            try
            {
                var reply = await _policy.RunAsync(() => _chat.GetChatMessageContentAsync(history, settings, cancellationToken: ct), ct);
                var tokens = reply.Metadata?.TryGetValue("Usage", out var usage) == true && usage is OpenAI.Chat.ChatTokenUsage u ? u.TotalTokenCount : 0;
                return (reply.Content ?? "", tokens);
            }
            catch (HttpOperationException ex) when (ex.StatusCode == HttpStatusCode.BadRequest && settings.ResponseFormat is not null)
            {
                _schemaRefused = true; // a server without structured output: the prompt asks for JSON anyway
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && timeouts < _server.MaxAttempts && IsTimeout(ex))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * timeouts), ct);
            }
        }
    }

    private static bool IsTimeout(Exception ex) => ex is TaskCanceledException or TimeoutException || ex.InnerException is TaskCanceledException or TimeoutException;
}
