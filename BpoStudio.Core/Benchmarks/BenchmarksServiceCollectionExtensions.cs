using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Benchmarks;

public static class BenchmarksServiceCollectionExtensions
{
    /// <summary>The <c>bench</c> verbs' measurements: registered by the command line's host only, not the web app's.</summary>
    public static IServiceCollection AddBenchmarks(this IServiceCollection services)
    {
        services.AddSingleton<ReviewBenchmark>();
        services.AddSingleton<TeamReviewBenchmark>();
        services.AddSingleton<ImagingBenchmark>();
        services.AddSingleton<ImportBenchmark>();
        services.AddSingleton<ExportBenchmark>();
        services.AddSingleton<TriageBenchmark>();
        services.AddSingleton<GenerationJobBenchmark>();
        return services;
    }
}
