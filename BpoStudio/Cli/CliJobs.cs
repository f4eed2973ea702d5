using BpoStudio.Core.Jobs;

namespace BpoStudio.Cli;

/// <summary>A verb's job, run in this process the way the pages' jobs run in the web app's.</summary>
internal static class CliJobs
{
    /// <summary>
    /// Runs the job here and returns it finished; a web instance on the same database may have claimed it first, and then
    /// this waits for it there. Anything but Completed is a failure naming the job, its state and its error.
    /// </summary>
    public static async Task<Job> RunHereAsync(IServiceProvider services, long jobId, string what, CancellationToken ct)
    {
        var done = await services.GetRequiredService<JobService>().RunHereAsync(jobId, ct);
        if (done.Status == JobStatus.Completed) return done;
        throw new CliFailureException(done.Status == JobStatus.Failed
            ? $"the {what} (job {jobId}) stopped: {(CliApp.IsDiskFull(done.Error) ? CliApp.DiskFullMessage(done.Error!) : done.Error)}"
            : $"the {what} (job {jobId}) was {done.Status.ToString().ToLowerInvariant()}; run the same command again to resume it");
    }
}
