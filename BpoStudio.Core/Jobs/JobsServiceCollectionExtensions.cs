using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>The durable job queue and its runner (leases, heartbeat); each feature registers its own handler.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddOptions<JobRunnerOptions>().BindConfiguration(JobRunnerOptions.Section)
            .Validate(o => o.LeaseSeconds is >= 1 and <= 3600, "Jobs:LeaseSeconds must be between 1 and 3600.")
            .Validate(o => o.PollSeconds is > 0 and <= 300, "Jobs:PollSeconds must lie in (0, 300].")
            .ValidateOnStart();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobProgressNotifier>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobService>();
        return services;
    }
}
