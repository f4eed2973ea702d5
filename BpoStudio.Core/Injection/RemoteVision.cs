using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace BpoStudio.Core.Injection;

/// <summary>
/// How calls to the OpenAI-compatible server behave under load: at most <c>MaxConcurrency</c> in flight from this
/// instance, and 429 or 5xx answers retried up to <c>MaxAttempts</c> with exponential backoff and jitter.
/// </summary>
public sealed class RemoteCallPolicy(IOptions<LlmBackendOptions> options)
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.MaxConcurrency));

    public async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        var attempts = Math.Max(1, options.Value.MaxAttempts);
        for (var attempt = 1; ; attempt++)
        {
            await _slots.WaitAsync(ct);
            try
            {
                return await call();
            }
            catch (HttpOperationException ex) when (attempt < attempts && IsTransient(ex.StatusCode))
            {
                // Back off outside the slot, so waiting does not hold up other calls.
            }
            finally
            {
                _slots.Release();
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250 * Math.Pow(2, attempt - 1) * (0.8 + 0.4 * Random.Shared.NextDouble())), ct);
        }
    }

    private static bool IsTransient(HttpStatusCode? status) => status is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError;
}

/// <summary>
/// Weakened-image answers from the OpenAI-compatible server when it accepts images (<c>Generation:OpenAI:Vision</c>):
/// the image goes as an <c>image_url</c> data URI beside the prompt, through the shared <see cref="RemoteCallPolicy"/>.
/// </summary>
public sealed class RemoteVision(IOptions<LlmBackendOptions> options, RemoteCallPolicy policy)
{
    private readonly Lazy<IChatCompletionService> _chat = new(() => LlmInjector.CreateOpenAICompatible(options.Value));

    public bool IsAvailable => options.Value.IsConfigured && options.Value.Vision;

    /// <param name="images">The images in order, each sent with the type its bytes say.</param>
    public async Task<(string Text, long CompletionTokens)> AnswerAsync(string prompt, IReadOnlyList<byte[]> images, long seed, CancellationToken ct)
    {
        var history = new ChatHistory();
        history.AddUserMessage([.. images.Select(bytes => (KernelContent)new ImageContent(bytes, Imaging.ImageDecoding.ReadHeader(bytes).ContentType)), new TextContent(prompt)]);
        var settings = new OpenAIPromptExecutionSettings { Temperature = options.Value.Temperature, TopP = options.Value.TopP, MaxTokens = options.Value.MaxTokens, Seed = seed };
        var reply = await policy.RunAsync(() => _chat.Value.GetChatMessageContentAsync(history, settings, cancellationToken: ct), ct);
        var tokens = reply.Metadata?.TryGetValue("Usage", out var usage) == true && usage is OpenAI.Chat.ChatTokenUsage u ? u.OutputTokenCount : 0;
        return ((reply.Content ?? "").Trim(), tokens);
    }
}
