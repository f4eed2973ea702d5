namespace BpoStudio.Core.Jobs;

public enum JobKind
{
    Import,
    Generate,
    Export,
    Checks,
    Judge,
}

public enum JobStatus
{
    Queued,
    Running,
    Paused,
    Completed,
    Failed,
    Cancelled,
    Interrupted,
}

/// <summary>A durable background job: survives restarts and records progress per item.</summary>
public class Job
{
    public long Id { get; set; }
    public JobKind Kind { get; set; }
    public int? DatasetId { get; set; }

    /// <summary>The source file an import read, as its samples record it: what a rollback removes by.</summary>
    public string? SourceFile { get; set; }
    public required string ParametersJson { get; set; }
    public JobStatus Status { get; set; }
    public long ItemsTotal { get; set; }
    public long ItemsDone { get; set; }
    public long ItemsFailed { get; set; }

    /// <summary>The last item committed, written in the same transaction as that item's results: resume starts after it.</summary>
    public long? ResumeCursor { get; set; }
    public string? Error { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary>When a lead rolled back what this import brought (and who): its result undone, recorded as state, not inferred from the log.</summary>
    public DateTime? RolledBackAt { get; set; }
    public string? RolledBackBy { get; set; }

    // Claimed through the database so one instance runs a job and another can take over after the lease expires.
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }

    public long RowVersion { get; set; }
}

/// <summary>One item of a job that failed, with its reason; the job carries on.</summary>
public class JobItemFailure
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public required string ItemKey { get; set; }
    public required string Reason { get; set; }
    public DateTime At { get; set; }
}
