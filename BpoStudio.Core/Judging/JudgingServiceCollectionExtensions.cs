using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Judging;

public static class JudgingServiceCollectionExtensions
{
    /// <summary>The judge (its server, its job and how to start it) and its calibration against people.</summary>
    public static IServiceCollection AddJudging(this IServiceCollection services)
    {
        services.AddOptions<JudgeOptions>().BindConfiguration(JudgeOptions.Section)
            .Validate(o => o.MaxConcurrency is >= 1 and <= 256, "Judge:OpenAI:MaxConcurrency must be between 1 and 256.")
            .Validate(o => o.UncertainBelow is > 0.5 and <= 1, "Judge:OpenAI:UncertainBelow must lie in (0.5, 1].")
            .Validate(o => o.RetriesPerUnparsable is >= 0 and <= 5, "Judge:OpenAI:RetriesPerUnparsable must be between 0 and 5.")
            .ValidateOnStart();
        services.AddSingleton<JudgeServer>();
        services.AddSingleton<JudgeJobs>();
        services.AddSingleton<Jobs.IJobHandler, JudgeJobHandler>();
        services.AddSingleton<JudgeCalibration>();
        services.AddSingleton<JudgeHints>();
        services.AddSingleton<JudgeTemplates>();
        services.AddSingleton<ScoreService>();
        return services;
    }
}
