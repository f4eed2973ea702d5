using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Jobs;

/// <summary>The runner outlives what goes wrong around it: the database away for a while, a listener that throws.</summary>
public class JobRunnerResilienceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreServices _core = null!;
    private int _datasetId;
    private JobRunner Runner => _core.Get<JobRunner>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(s => { s["Jobs:LeaseSeconds"] = "3"; s["Jobs:PollSeconds"] = "0.1"; }, provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
    }

    public async Task DisposeAsync()
    {
        await Runner.StopAsync(CancellationToken.None);
        await _core.DisposeAsync();
    }

    private string Parameters => new GenerationParameters(_datasetId, SampleFilter.All, [new GenerationMethod(ModelFreeInjection.Method, 1)], 3).ToJson();

    private async Task<long> QueuedJobAsync()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var job = new Job { Kind = JobKind.Generate, DatasetId = _datasetId, ParametersJson = Parameters, Status = JobStatus.Queued, CreatedBy = "test", CreatedAt = DateTime.UtcNow };
        db.Jobs.Add(job);
        await db.SaveChangesAsync();
        return job.Id;
    }

    // A real database error: the table the runner claims from is not there for a while.
    private async Task RenameJobsTableAsync(bool away)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync(away ? """ALTER TABLE "Jobs" RENAME TO "JobsAway" """ : """ALTER TABLE "JobsAway" RENAME TO "Jobs" """);
    }

    private async Task<JobStatus> WaitForEndAsync(long jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await _core.Get<JobService>().GetAsync(jobId) is { Status: JobStatus.Completed or JobStatus.Failed } job) return job.Status;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {jobId} did not finish");
    }

    [Fact]
    public async Task ADatabaseErrorWhileStartingOrClaiming_IsRetried_AndTheJobStillRuns()
    {
        var waiting = await QueuedJobAsync();
        await RenameJobsTableAsync(away: true);
        await Runner.StartAsync(CancellationToken.None); // recovering fails now
        await Task.Delay(700);
        Assert.False(Runner.ExecuteTask!.IsCompleted, "the runner stopped on a database error");

        await RenameJobsTableAsync(away: false);
        Assert.Equal(JobStatus.Completed, await WaitForEndAsync(waiting));

        // Once running: a claim that fails is retried too.
        var later = await QueuedJobAsync();
        await RenameJobsTableAsync(away: true);
        await _core.Get<JobQueue>().EnqueueAsync(later);
        await Task.Delay(700);
        Assert.False(Runner.ExecuteTask!.IsCompleted, "the runner stopped on a failed claim");
        await RenameJobsTableAsync(away: false);
        Assert.Equal(JobStatus.Completed, await WaitForEndAsync(later));
    }

    [Fact]
    public async Task AListenerThatThrows_NeitherFailsTheJobNorStopsTheRunner()
    {
        using var broken = _core.Get<JobProgressNotifier>().Subscribe(_ => throw new InvalidOperationException("a page torn down mid-update"));
        await Runner.StartAsync(CancellationToken.None);

        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, _datasetId, Parameters, TestPrincipals.Lead);

        Assert.Equal(JobStatus.Completed, await WaitForEndAsync(job.Id));
        Assert.False(Runner.ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task OnlyLeadsStartOrSteerJobs()
    {
        var jobs = _core.Get<JobService>();
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => jobs.CreateAsync(JobKind.Generate, _datasetId, Parameters, TestPrincipals.Annotator));
        var job = await jobs.CreateAsync(JobKind.Generate, _datasetId, Parameters, TestPrincipals.Lead);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => jobs.CancelAsync(job.Id, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => jobs.PauseAsync(job.Id, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => jobs.ResumeAsync(job.Id, TestPrincipals.Annotator));
    }
}

public class JobRunnerResilienceTestsOnPostgres : JobRunnerResilienceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
