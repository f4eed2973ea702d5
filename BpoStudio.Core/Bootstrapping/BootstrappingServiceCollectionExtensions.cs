using Microsoft.Extensions.DependencyInjection;
using BpoStudio.Core.Generation;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Injection;

namespace BpoStudio.Core.Bootstrapping;

public static class BootstrappingServiceCollectionExtensions
{
    /// <summary>Making negatives: the model-free injector, the OpenAI-compatible and local models, image weakening and the generation job; the servers' options checked at start.</summary>
    public static IServiceCollection AddBootstrapping(this IServiceCollection services)
    {
        services.AddOptions<LlmBackendOptions>().BindConfiguration(LlmBackendOptions.Section)
            .Validate(o => o.BaseUrl is null || Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https", "Generation:OpenAI:BaseUrl must be an http(s) address.")
            .Validate(o => o.Temperature is >= 0 and <= 2 && o.TopP is > 0 and <= 1, "Generation:OpenAI:Temperature must lie in [0, 2] and TopP in (0, 1].")
            .Validate(o => o.MaxTokens is >= 1 and <= 131_072, "Generation:OpenAI:MaxTokens must be between 1 and 131072.")
            .Validate(o => o.MaxAttempts is >= 1 and <= 10 && o.MaxConcurrency is >= 1 and <= 256, "Generation:OpenAI:MaxAttempts must be 1 to 10 and MaxConcurrency 1 to 256.")
            .ValidateOnStart();
        services.AddOptions<LocalModelOptions>().BindConfiguration(LocalModelOptions.Section)
            .Validate(o => o.Threads is >= 0 and <= 1024 && o.BatchSize is >= 0 and <= 256, "Generation:Local:Threads must be 0 (all cores) to 1024 and BatchSize 0 (automatic) to 256.")
            .ValidateOnStart();
        services.AddSingleton(InjectionLexicon.Default);
        services.AddSingleton<ModelFreeInjector>();
        services.AddSingleton<LocalModelCatalog>();
        services.AddSingleton<RemoteCallPolicy>();
        services.AddSingleton<RemoteVision>();
        services.AddSingleton<LlmBackend>();
        services.AddSingleton<PromptTemplates>();
        services.AddSingleton<ImageWeakener>();
        services.AddSingleton<SampleWeakening>();
        services.AddSingleton<WeakenedImageNegatives>();
        services.AddSingleton<ImagePairs>();
        services.AddSingleton<GenerationJobs>();
        services.AddSingleton<Jobs.IJobHandler, GenerationJobHandler>();
        return services;
    }
}
