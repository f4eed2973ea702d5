using Microsoft.Extensions.Logging;

namespace BpoStudio.Core.Jobs;

public sealed record JobSnapshot(long Id, JobKind Kind, JobStatus Status, long ItemsTotal, long ItemsDone, long ItemsFailed,
    double ItemsPerSecond, string? Error, DateTime? StartedAt, DateTime? FinishedAt, double TokensPerSecond = 0)
{
    public TimeSpan? Eta => ItemsPerSecond > 0 && Status == JobStatus.Running
        ? TimeSpan.FromSeconds((ItemsTotal - ItemsDone) / ItemsPerSecond) : null;

    public static JobSnapshot Of(Job job, double itemsPerSecond = 0, double tokensPerSecond = 0)
    {
        // A finished job shows its average rate over its whole run.
        if (itemsPerSecond == 0 && job is { StartedAt: { } start, FinishedAt: { } end } && end > start)
            itemsPerSecond = job.ItemsDone / (end - start).TotalSeconds;
        return new(job.Id, job.Kind, job.Status, job.ItemsTotal, job.ItemsDone, job.ItemsFailed, itemsPerSecond, job.Error, job.StartedAt, job.FinishedAt, tokensPerSecond);
    }
}

/// <summary>
/// Pushes job progress to whoever listens (pages); a subscription is an IDisposable so it is always removed. A
/// listener that throws (a page torn down mid-update) is logged and skipped: it never fails the job that published.
/// </summary>
public sealed class JobProgressNotifier(ILogger<JobProgressNotifier>? logger = null)
{
    private readonly Lock _gate = new();
    private readonly List<Action<JobSnapshot>> _listeners = [];

    public IDisposable Subscribe(Action<JobSnapshot> listener)
    {
        lock (_gate) _listeners.Add(listener);
        return new Subscription(() => { lock (_gate) _listeners.Remove(listener); });
    }

    public void Publish(JobSnapshot snapshot)
    {
        Action<JobSnapshot>[] listeners;
        lock (_gate) listeners = [.. _listeners];
        foreach (var listener in listeners)
            try
            {
                listener(snapshot);
            }
            catch (Exception ex)
            {
                logger?.LogWarning(ex, "A progress listener failed on job {JobId}", snapshot.Id);
            }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
