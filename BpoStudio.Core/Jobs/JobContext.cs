using System.Diagnostics;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Jobs;

public sealed class JobContext(Job job, IDbContextFactory<BpoDbContext> dbFactory, JobProgressNotifier notifier, TimeProvider clock)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _doneAtStart = job.ItemsDone;
    private long _tokens;

    public long JobId => job.Id;
    public string ParametersJson => job.ParametersJson;
    public string? CreatedBy => job.CreatedBy;
    public long? ResumeCursor => job.ResumeCursor;

    public async Task SetTotalAsync(long total, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.ItemsTotal, total), ct);
        job.ItemsTotal = total;
        Publish();
    }

    /// <summary>Adds progress inside the caller's transaction, so results and cursor commit (or vanish) together.</summary>
    public async Task AddProgressAsync(BpoDbContext db, long cursor, int done, int failed, CancellationToken ct)
    {
        // Only while this instance holds the lease: otherwise the caller's transaction must not commit (another instance took over).
        var owner = job.LeaseOwner;
        var updated = await db.Jobs.Where(j => j.Id == job.Id && j.LeaseOwner == owner).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.ItemsDone, j => j.ItemsDone + done)
            .SetProperty(j => j.ItemsFailed, j => j.ItemsFailed + failed)
            .SetProperty(j => j.ResumeCursor, cursor), ct);
        if (updated == 0) throw new JobLeaseLostException(job.Id);
        (job.ItemsDone, job.ItemsFailed, job.ResumeCursor) = (job.ItemsDone + done, job.ItemsFailed + failed, cursor);
    }

    /// <summary>
    /// For jobs whose output is not committed with a cursor (exports, imports): progress is informational, not a
    /// resume point. One UPDATE sets what is given.
    /// </summary>
    public async Task ReportProgressAsync(long done, long? total = null, long? failed = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.ItemsDone, done)
            .SetProperty(j => j.ItemsTotal, j => total ?? j.ItemsTotal)
            .SetProperty(j => j.ItemsFailed, j => failed ?? j.ItemsFailed), ct);
        (job.ItemsDone, job.ItemsTotal, job.ItemsFailed) = (done, total ?? job.ItemsTotal, failed ?? job.ItemsFailed);
        Publish();
    }

    public void RecordFailure(BpoDbContext db, string itemKey, string reason) =>
        db.JobItemFailures.Add(new JobItemFailure { JobId = job.Id, ItemKey = itemKey, Reason = reason, At = clock.GetUtcNow().UtcDateTime });

    /// <summary>Tokens a model generated for this job, for the tokens/s figure.</summary>
    public void AddTokens(long tokens) => Interlocked.Add(ref _tokens, tokens);

    /// <summary>Call after the batch committed.</summary>
    public void Publish()
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        notifier.Publish(JobSnapshot.Of(job, (job.ItemsDone - _doneAtStart) / seconds, Interlocked.Read(ref _tokens) / seconds));
    }
}

/// <summary>Another instance took the job over (this one missed its heartbeats); its uncommitted batch is dropped.</summary>
public sealed class JobLeaseLostException(long jobId) : Exception($"Job {jobId} was taken over by another instance.");
