using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Injection;

/// <summary>The configured LLM backend, if any; methods that need it are offered only when it is there.</summary>
public sealed class LlmBackend(IOptions<LlmBackendOptions> options)
{
    public const string InjectionMethod = "llm-injection";
    public const string ParaphraseMethod = "paraphrase";

    private readonly Lazy<LlmInjector?> _injector = new(() =>
        options.Value.IsConfigured ? new LlmInjector(LlmInjector.CreateOpenAICompatible(options.Value), options) : null);

    public LlmInjector? Injector => _injector.Value;

    public string Model => options.Value.Model;

    /// <summary>Where the model runs, for provenance: the endpoint's host, never its key.</summary>
    public string Provider => options.Value.BaseUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        ? $"openai-compatible ({uri.Authority})" : "none";

    public IReadOnlyList<string> AvailableMethods =>
        options.Value.IsConfigured ? [ModelFreeInjection.Method, InjectionMethod, ParaphraseMethod] : [ModelFreeInjection.Method];
}
