using System.Collections.Concurrent;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Jobs;

/// <summary>Configuration section <c>Jobs</c>: how long a claim on a job lasts without a heartbeat, and how often to look for work.</summary>
public sealed class JobRunnerOptions
{
    public const string Section = "Jobs";

    public double LeaseSeconds { get; set; } = 30;
    public double PollSeconds { get; set; } = 5;
}

/// <summary>
/// Runs jobs one at a time per instance. A job is claimed through the database (status, lease owner, lease expiry in
/// one conditional UPDATE), so with several instances on one database exactly one runs it; the owner renews the lease
/// while it works, and another instance takes over a job whose lease expired (its instance died). Each instance polls
/// for claimable jobs and republishes the progress of jobs running elsewhere, so every UI shows live progress.
/// </summary>
public sealed class JobRunner(
    IDbContextFactory<BpoDbContext> dbFactory, JobQueue queue, IEnumerable<IJobHandler> handlers,
    JobProgressNotifier notifier, IOptions<JobRunnerOptions> options, ILogger<JobRunner> logger, TimeProvider clock) : BackgroundService
{
    private readonly ConcurrentDictionary<long, StopRequest> _running = new();
    private int _failuresInARow;

    /// <summary>Who holds a lease: unique per process.</summary>
    public string Instance { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    // Nothing here may stop the host: a database that is briefly away, or a job that cannot even be claimed, is
    // logged, waited out with a growing pause and tried again.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
            try
            {
                await RecoverAsync(stoppingToken);
                Succeeded();
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await BackOffAsync(ex, "Recovering interrupted jobs", stoppingToken);
            }
        var polling = PollAsync(stoppingToken);
        try
        {
            await foreach (var jobId in queue.ReadAllAsync(stoppingToken))
                try
                {
                    await RunJobAsync(jobId, stoppingToken);
                    Succeeded();
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    await BackOffAsync(ex, $"Running job {jobId}", stoppingToken);
                    await queue.EnqueueAsync(jobId, stoppingToken);
                }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        await polling;
    }

    private void Succeeded() => _failuresInARow = 0;

    private async Task BackOffAsync(Exception ex, string what, CancellationToken ct)
    {
        var pause = TimeSpan.FromSeconds(Math.Min(60, options.Value.PollSeconds * Math.Pow(2, Math.Min(10, _failuresInARow++))));
        logger.LogError(ex, "{What} failed; trying again in {Pause}", what, pause);
        await Task.Delay(pause, ct);
    }

    /// <summary>Queues what is waiting and what a dead instance left: running jobs whose lease expired (or never had one).</summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var orphaned = await db.Jobs.Where(j => j.Status == JobStatus.Running && (j.LeaseExpiresAt == null || j.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Interrupted), ct);
        if (orphaned > 0) logger.LogWarning("{Count} job(s) were running on an instance that stopped; resuming them", orphaned);
        await EnqueueClaimableAsync(db, ct);
    }

    public async Task RunJobAsync(long jobId, CancellationToken ct)
    {
        if (!await ClaimAsync(jobId, ct)) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.FirstAsync(j => j.Id == jobId, ct);
        notifier.Publish(JobSnapshot.Of(job));
        var handler = handlers.FirstOrDefault(h => h.Kind == job.Kind);
        if (handler is null)
        {
            await FinishAsync(db, job, JobStatus.Failed, $"No handler for {job.Kind} jobs.");
            return;
        }

        using var stop = new StopRequest(ct);
        _running[jobId] = stop;
        var heartbeat = HeartbeatAsync(jobId, stop);
        var context = new JobContext(job, dbFactory, notifier, clock);
        try
        {
            await handler.RunAsync(context, stop.Token);
            await FinishAsync(db, job, JobStatus.Completed, null);
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            // Paused or cancelled by a user, the lease was lost, or the host is stopping: then it resumes at the next start.
            await FinishAsync(db, job, stop.RequestedStatus ?? JobStatus.Interrupted, null);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} ({Kind}) failed", job.Id, job.Kind);
            await FinishAsync(db, job, JobStatus.Failed, ex.Message);
        }
        finally
        {
            _running.TryRemove(jobId, out _);
            stop.Done();
            await heartbeat;
        }
    }

    /// <summary>Stops a job running here as paused or cancelled; false when it is not running here.</summary>
    public bool RequestStop(long jobId, JobStatus status)
    {
        if (!_running.TryGetValue(jobId, out var stop)) return false;
        stop.Request(status);
        return true;
    }

    private async Task<bool> ClaimAsync(long jobId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var claimed = await db.Jobs.Where(j => j.Id == jobId && (j.Status == JobStatus.Queued || j.Status == JobStatus.Interrupted
                || (j.Status == JobStatus.Running && j.LeaseExpiresAt != null && j.LeaseExpiresAt < now)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Running)
                .SetProperty(j => j.LeaseOwner, Instance)
                .SetProperty(j => j.LeaseExpiresAt, now + Lease)
                .SetProperty(j => j.StartedAt, j => j.StartedAt ?? now)
                .SetProperty(j => j.Error, (string?)null), ct);
        return claimed == 1;
    }

    // Renews the lease; a pause or cancel written by another instance, or a lost lease, stops the handler here. When the
    // database cannot be reached for most of a lease, another instance may take the job over: stop before it can.
    private async Task HeartbeatAsync(long jobId, StopRequest stop)
    {
        using var timer = new PeriodicTimer(Lease / 3);
        var renewedAt = clock.GetUtcNow().UtcDateTime;
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Finished))
            {
                try
                {
                    if (await RenewAsync(jobId, stop)) renewedAt = clock.GetUtcNow().UtcDateTime;
                    else return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Renewing the lease of job {JobId} failed", jobId);
                    if (clock.GetUtcNow().UtcDateTime - renewedAt < Lease * 2 / 3) continue;
                    stop.Request(JobStatus.Interrupted);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job finished.
        }
    }

    // False when the job is no longer this instance's to run: it has been told to stop.
    private async Task<bool> RenewAsync(long jobId, StopRequest stop)
    {
        await using var db = await dbFactory.CreateDbContextAsync(stop.Finished);
        var renewed = await db.Jobs.Where(j => j.Id == jobId && j.LeaseOwner == Instance && j.Status == JobStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, clock.GetUtcNow().UtcDateTime + Lease), stop.Finished);
        if (renewed == 1) return true;
        var current = await db.Jobs.Where(j => j.Id == jobId).Select(j => new { j.Status, j.LeaseOwner }).FirstAsync(stop.Finished);
        stop.Request(current.Status is JobStatus.Paused or JobStatus.Cancelled && current.LeaseOwner == Instance ? current.Status : JobStatus.Interrupted);
        return false;
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.PollSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(ct);
                    await EnqueueClaimableAsync(db, ct);
                    foreach (var elsewhere in await db.Jobs.AsNoTracking().Where(j => j.Status == JobStatus.Running && j.LeaseOwner != Instance).ToListAsync(ct))
                        notifier.Publish(JobSnapshot.Of(elsewhere));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Looking for jobs failed; trying again");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task EnqueueClaimableAsync(BpoDbContext db, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var claimable = await db.Jobs.Where(j => j.Status == JobStatus.Queued || j.Status == JobStatus.Interrupted
                || (j.Status == JobStatus.Running && j.LeaseExpiresAt != null && j.LeaseExpiresAt < now))
            .OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(ct);
        foreach (var id in claimable.Where(id => !_running.ContainsKey(id))) await queue.EnqueueAsync(id, ct);
    }

    // Only the lease owner writes the outcome, so an instance that lost its lease cannot overwrite the new owner's.
    private async Task FinishAsync(BpoDbContext db, Job job, JobStatus status, string? error)
    {
        var finished = status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled ? clock.GetUtcNow().UtcDateTime : (DateTime?)null;
        await db.Jobs.Where(j => j.Id == job.Id && j.LeaseOwner == Instance).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, status)
            .SetProperty(j => j.Error, error)
            .SetProperty(j => j.FinishedAt, finished)
            .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null));
        await db.Entry(job).ReloadAsync();
        notifier.Publish(JobSnapshot.Of(job));
    }

    private sealed class StopRequest(CancellationToken hostStopping) : IDisposable
    {
        private readonly CancellationTokenSource _source = CancellationTokenSource.CreateLinkedTokenSource(hostStopping);
        private readonly CancellationTokenSource _finished = new();

        public CancellationToken Token => _source.Token;
        public CancellationToken Finished => _finished.Token;
        public JobStatus? RequestedStatus { get; private set; }

        public void Request(JobStatus status)
        {
            RequestedStatus ??= status;
            _source.Cancel();
        }

        public void Done() => _finished.Cancel();

        public void Dispose()
        {
            _source.Dispose();
            _finished.Dispose();
        }
    }
}
