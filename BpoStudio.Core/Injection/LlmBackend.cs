using BpoStudio.Core.Generation;
using BpoStudio.Core.Imaging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;

namespace BpoStudio.Core.Injection;

/// <summary>
/// The generation backends that are configured, and so the methods a job may use: an OpenAI-compatible server, or
/// else the local text model, for LLM injection and paraphrase; the local vision-language model for weakened-image
/// answers. Methods that need a missing backend are not offered.
/// </summary>
public sealed class LlmBackend(IOptions<LlmBackendOptions> options, LocalModelCatalog local, RemoteVision remoteVision, RemoteCallPolicy policy)
{
    public const string InjectionMethod = "llm-injection";
    public const string ParaphraseMethod = "paraphrase";
    public const string WeakenedImagePrefix = "weakened-image:";

    private readonly Lazy<LlmInjector?> _injector = new(() =>
        options.Value.IsConfigured ? new LlmInjector(LlmInjector.CreateOpenAICompatible(options.Value), options, policy)
        : local.TextModel is { } text ? new LlmInjector(new LocalChatClient(local.Open(text)).AsChatCompletionService(), options)
        : null);

    public LlmInjector? Injector => _injector.Value;

    public string Model => options.Value.IsConfigured ? options.Value.Model : local.TextModel ?? "";

    /// <summary>Where the model runs, for provenance: the endpoint's host (never its key), or the local execution provider.</summary>
    public string Provider => options.Value.IsConfigured && Uri.TryCreate(options.Value.BaseUrl, UriKind.Absolute, out var uri) ? $"openai-compatible ({uri.Authority})"
        : local.TextModel is { } text ? $"local onnx ({local.Open(text).Generator.Provider.Provider})"
        : "none";

    public bool HasTextBackend => options.Value.IsConfigured || local.TextModel is not null;

    public IReadOnlyList<string> AvailableMethods =>
    [
        ModelFreeInjection.Method,
        .. Bootstrapping.ImagePairs.Methods,
        .. HasTextBackend ? new[] { InjectionMethod, ParaphraseMethod } : [],
        .. local.VisionModel is null && !remoteVision.IsAvailable ? [] : ImageWeakener.Transforms.Select(t => WeakenedImagePrefix + t.Name),
    ];
}
