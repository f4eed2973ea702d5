using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace BpoStudio.Core.Generation;

/// <summary>
/// A local model as a Microsoft.Extensions.AI chat client, and so (through <c>AsChatCompletionService()</c>) as a
/// Semantic Kernel chat service for error injection, paraphrase and the judge. System and user turns fill the chat
/// template; the first image in the user's turns goes to a vision model (it takes one).
/// </summary>
public sealed class LocalChatClient(LocalModel model) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        var tokens = 0;
        await foreach (var chunk in model.AnswerAsync(Prompt(messages), Image(messages), Settings(options), cancellationToken))
        {
            text.Append(chunk.Text);
            tokens = chunk.Tokens;
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = model.Name,
            Usage = new UsageDetails { OutputTokenCount = tokens },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var chunk in model.AnswerAsync(Prompt(messages), Image(messages), Settings(options), cancellationToken))
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk.Text) { ModelId = model.Name };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("bpostudio-onnx", null, model.Name) : null;

    public void Dispose()
    {
        // The catalog owns the model.
    }

    private static byte[]? Image(IEnumerable<ChatMessage> messages) =>
        messages.Where(m => m.Role == ChatRole.User).SelectMany(m => m.Contents).OfType<DataContent>().FirstOrDefault(c => c.HasTopLevelMediaType("image"))?.Data.ToArray();

    private static string Prompt(IEnumerable<ChatMessage> messages) =>
        string.Join("\n\n", messages.Where(m => m.Role == ChatRole.System || m.Role == ChatRole.User).Select(m => m.Text));

    private SamplingSettings Settings(ChatOptions? options) => new(
        Temperature: options?.Temperature ?? 0f,
        TopK: options?.TopK ?? 0,
        TopP: options?.TopP ?? 1f,
        RepetitionPenalty: 1f + (options?.FrequencyPenalty ?? 0f),
        Seed: options?.Seed ?? 0,
        MaxNewTokens: options?.MaxOutputTokens ?? model.Manifest.Search.MaxNewTokens);
}
