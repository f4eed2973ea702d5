using System.Collections.Concurrent;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BpoStudio.Core.Jobs;

/// <summary>Runs queued jobs one at a time. On start, jobs left running by a crash are marked interrupted and resumed.</summary>
public sealed class JobRunner(
    IDbContextFactory<BpoDbContext> dbFactory, JobQueue queue, IEnumerable<IJobHandler> handlers,
    JobProgressNotifier notifier, ILogger<JobRunner> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<long, StopRequest> _running = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        await foreach (var jobId in queue.ReadAllAsync(stoppingToken))
            await RunJobAsync(jobId, stoppingToken);
    }

    /// <summary>Auto-healing: running jobs of a previous process are interrupted; interrupted and queued ones go back in the queue.</summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var orphaned = await db.Jobs.Where(j => j.Status == JobStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Interrupted), ct);
        if (orphaned > 0) logger.LogWarning("{Count} job(s) were running when the app stopped; resuming them", orphaned);
        var waiting = await db.Jobs.Where(j => j.Status == JobStatus.Queued || j.Status == JobStatus.Interrupted)
            .OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(ct);
        foreach (var id in waiting) await queue.EnqueueAsync(id, ct);
    }

    public async Task RunJobAsync(long jobId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || job.Status is not (JobStatus.Queued or JobStatus.Interrupted)) return;
        var handler = handlers.FirstOrDefault(h => h.Kind == job.Kind);
        if (handler is null)
        {
            await FinishAsync(db, job, JobStatus.Failed, $"No handler for {job.Kind} jobs.", ct);
            return;
        }

        job.Status = JobStatus.Running;
        job.StartedAt ??= DateTime.UtcNow;
        job.Error = null;
        await db.SaveChangesAsync(ct);
        notifier.Publish(JobSnapshot.Of(job));

        using var stop = new StopRequest(ct);
        _running[jobId] = stop;
        var context = new JobContext(job, dbFactory, notifier);
        try
        {
            await handler.RunAsync(context, stop.Token);
            await FinishAsync(db, job, JobStatus.Completed, null, CancellationToken.None);
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            // Paused or cancelled by a user, or the host is stopping: then it resumes at the next start.
            await FinishAsync(db, job, stop.RequestedStatus ?? JobStatus.Interrupted, null, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} ({Kind}) failed", job.Id, job.Kind);
            await FinishAsync(db, job, JobStatus.Failed, ex.Message, CancellationToken.None);
        }
        finally
        {
            _running.TryRemove(jobId, out _);
        }
    }

    /// <summary>Stops a running job as paused or cancelled; false when it is not running here.</summary>
    public bool RequestStop(long jobId, JobStatus status)
    {
        if (!_running.TryGetValue(jobId, out var stop)) return false;
        stop.Request(status);
        return true;
    }

    private async Task FinishAsync(BpoDbContext db, Job job, JobStatus status, string? error, CancellationToken ct)
    {
        // Progress columns were advanced by the handler's own transactions; reload them before writing the status.
        await db.Entry(job).ReloadAsync(ct);
        job.Status = status;
        job.Error = error;
        if (status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled) job.FinishedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
        notifier.Publish(JobSnapshot.Of(job));
    }

    private sealed class StopRequest(CancellationToken hostStopping) : IDisposable
    {
        private readonly CancellationTokenSource _source = CancellationTokenSource.CreateLinkedTokenSource(hostStopping);

        public CancellationToken Token => _source.Token;
        public JobStatus? RequestedStatus { get; private set; }

        public void Request(JobStatus status)
        {
            RequestedStatus = status;
            _source.Cancel();
        }

        public void Dispose() => _source.Dispose();
    }
}
