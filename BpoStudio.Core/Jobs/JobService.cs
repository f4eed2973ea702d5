using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Jobs;

/// <summary>Launching and steering jobs, for leads only (every kind of job changes or publishes data); every launch is audited.</summary>
public sealed class JobService(IDbContextFactory<BpoDbContext> dbFactory, JobQueue queue, JobRunner runner, JobProgressNotifier notifier, AuditLog audit, TimeProvider clock)
{
    public async Task<Job> CreateAsync(JobKind kind, int? datasetId, string parametersJson, ClaimsPrincipal actor, CancellationToken ct = default, string? sourceFile = null)
    {
        actor.RequireLead($"start {kind.ToString().ToLowerInvariant()} jobs");
        var createdBy = actor.DisplayName();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = new Job { Kind = kind, DatasetId = datasetId, SourceFile = sourceFile, ParametersJson = parametersJson, Status = JobStatus.Queued, CreatedBy = createdBy, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Jobs.Add(job);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(createdBy, JobAudit.Queued(kind), $"job {job.Id}", parametersJson, ct);
        await queue.EnqueueAsync(job.Id, ct);
        notifier.Publish(JobSnapshot.Of(job));
        return job;
    }

    /// <summary>
    /// Runs the job in this process and returns it finished, for hosts that answer when the work is done (the CLI, an
    /// API push). Another instance may have claimed it first; then this waits for it there.
    /// </summary>
    public async Task<Job> RunHereAsync(long jobId, CancellationToken ct = default)
    {
        // This instance's background runner may claim the job first (every API push did): its end is published here at
        // once, where waiting out a poll added up to half a second to each call. Another instance's run is polled for.
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = notifier.Subscribe(s => { if (s.Id == jobId && s.Status is not (JobStatus.Queued or JobStatus.Running)) ended.TrySetResult(); });
        await runner.RunJobAsync(jobId, ct);
        var done = await GetAsync(jobId, ct) ?? throw new NotFoundError($"There is no job {jobId}.");
        while (done.Status is JobStatus.Queued or JobStatus.Running)
        {
            await Task.WhenAny(ended.Task, Task.Delay(500, ct));
            ct.ThrowIfCancellationRequested();
            done = (await GetAsync(jobId, ct))!;
        }
        return done;
    }

    public async Task PauseAsync(long jobId, ClaimsPrincipal actor, CancellationToken ct = default) => await StopAsync(jobId, JobStatus.Paused, actor, ct);

    public async Task CancelAsync(long jobId, ClaimsPrincipal actor, CancellationToken ct = default) => await StopAsync(jobId, JobStatus.Cancelled, actor, ct);

    public async Task ResumeAsync(long jobId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("resume jobs");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var updated = await db.Jobs.Where(j => j.Id == jobId && (j.Status == JobStatus.Paused || j.Status == JobStatus.Interrupted || j.Status == JobStatus.Failed))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.Error, (string?)null), ct);
        if (updated == 0) throw new ConflictError($"Job {jobId} is not paused, interrupted or failed, so it cannot be resumed.");
        await queue.EnqueueAsync(jobId, ct);
    }

    public async Task<IReadOnlyList<Job>> RecentAsync(int count = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Jobs.AsNoTracking().OrderByDescending(j => j.Id).Take(count).ToListAsync(ct);
    }

    public async Task<Job?> GetAsync(long jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct);
    }

    public async Task<IReadOnlyList<JobItemFailure>> FailuresAsync(long jobId, int count = 200, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.JobItemFailures.AsNoTracking().Where(f => f.JobId == jobId).OrderBy(f => f.Id).Take(count).ToListAsync(ct);
    }

    // A job running here stops at once; one running on another instance sees the new status at its next heartbeat.
    private async Task StopAsync(long jobId, JobStatus status, ClaimsPrincipal actor, CancellationToken ct)
    {
        actor.RequireLead("pause or cancel jobs");
        if (runner.RequestStop(jobId, status)) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var updated = await db.Jobs.Where(j => j.Id == jobId && (j.Status == JobStatus.Queued || j.Status == JobStatus.Interrupted || j.Status == JobStatus.Paused || j.Status == JobStatus.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, status), ct);
        if (updated == 0) throw new ConflictError($"Job {jobId} has already finished.");
    }
}
