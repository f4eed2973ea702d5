namespace BpoStudio.Core.Jobs;

/// <summary>Runs one kind of job. Handlers commit results and <see cref="JobContext.CommitProgressAsync"/> together,
/// per batch, so a crash loses at most the batch in flight and resume never duplicates.</summary>
public interface IJobHandler
{
    JobKind Kind { get; }

    Task RunAsync(JobContext context, CancellationToken ct);
}
