using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage.Checks;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Triage;

public static class TriageServiceCollectionExtensions
{
    /// <summary>The pair checks (each one class behind <see cref="IPairCheck"/>), the checker, bulk actions and spot checks.</summary>
    public static IServiceCollection AddTriage(this IServiceCollection services)
    {
        services.AddOptions<PairCheckOptions>().BindConfiguration(PairCheckOptions.Section)
            .Validate(o => o.NearIdenticalThreshold is > 0 and <= 1, "Triage:Checks:NearIdenticalThreshold must lie in (0, 1].")
            .Validate(o => o.MinLengthRatio > 0 && o.MaxLengthRatio > o.MinLengthRatio, "Triage:Checks length ratios need 0 < MinLengthRatio < MaxLengthRatio.")
            .Validate(o => o.RepetitionShare is > 0 and <= 1, "Triage:Checks:RepetitionShare must lie in (0, 1].")
            .ValidateOnStart();
        services.AddSingleton<IPairCheck, IdenticalCheck>();
        services.AddSingleton<IPairCheck, PlaceholderCheck>();
        services.AddSingleton<IPairCheck, MissingImageCheck>();
        services.AddSingleton<IPairCheck, NearIdenticalCheck>();
        services.AddSingleton<IPairCheck, LengthRatioCheck>();
        services.AddSingleton<IPairCheck, RefusalCheck>();
        services.AddSingleton<IPairCheck, RepetitionCheck>();
        services.AddSingleton<IPairCheck, LanguageMismatchCheck>();
        services.AddSingleton<IPairCheck, TruncatedCheck>();
        services.AddSingleton<IPairCheck, DuplicateCheck>();
        services.AddSingleton<IPairCheck, NoChangeCheck>();
        services.AddSingleton<PairChecker>();
        services.AddSingleton<IPairRecheck>(sp => sp.GetRequiredService<PairChecker>());
        services.AddSingleton<TriageQueries>();
        services.AddSingleton<BulkActionService>();
        services.AddSingleton<SpotCheckService>();
        services.AddSingleton<SourceDecisions>();
        services.AddSingleton<PairChecksJobs>();
        services.AddSingleton<Jobs.IJobHandler, PairChecksJobHandler>();
        return services;
    }
}
