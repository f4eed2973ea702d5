namespace BpoStudio.Core.Jobs;

/// <summary>The audit log's action names for jobs: one per kind, written when a job is queued.</summary>
public static class JobAudit
{
    public static string Queued(JobKind kind) => $"job.{kind.ToString().ToLowerInvariant()}";
}
