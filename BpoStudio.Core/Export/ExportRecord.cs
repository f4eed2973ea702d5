using BpoStudio.Core.Jobs;

namespace BpoStudio.Core.Export;

/// <summary>How an export stands: its job's status, unless the lead deleted what it wrote.</summary>
public enum ExportStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Interrupted,
    Cancelled,

    /// <summary>Its folder and zip were removed to free space; the record and its manifest stay in the history.</summary>
    Deleted,
}

/// <summary>
/// One export run: what was asked, where it went and, once complete, its manifest (the job's result). Its progress,
/// status, error and finish time are its job's; <see cref="Status"/>, <see cref="Error"/> and <see cref="FinishedAt"/>
/// are read from the job by <see cref="ExportService"/>'s queries and never stored here.
/// </summary>
public class ExportRecord
{
    public long Id { get; set; }
    public int DatasetId { get; set; }

    /// <summary>Null for a draft export of the current accepted pairs.</summary>
    public int? DatasetVersionId { get; set; }
    public bool IsDraft { get; set; }
    public required string Format { get; set; }
    public required string OptionsJson { get; set; }

    /// <summary>The final folder; it only exists once the export completed (it is written under a ".partial" name first).</summary>
    public string? FolderPath { get; set; }
    public string? ZipPath { get; set; }
    public string? ManifestJson { get; set; }
    public long PairsWritten { get; set; }
    public long PairsSkipped { get; set; }
    public long? JobId { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>When a lead removed its folder and zip: the export's own state, which no job status says.</summary>
    public DateTime? DeletedAt { get; set; }

    public ExportStatus Status { get; private set; }
    public string? Error { get; private set; }
    public DateTime? FinishedAt { get; private set; }

    /// <summary>Fills the job-owned view from the job row (none for an export older than jobs: its manifest says whether it finished).</summary>
    internal ExportRecord WithJob(JobStatus? status, string? error, DateTime? finishedAt)
    {
        Status = DeletedAt is not null ? ExportStatus.Deleted : status switch
        {
            null => ManifestJson is null ? ExportStatus.Failed : ExportStatus.Completed,
            JobStatus.Queued => ExportStatus.Queued,
            JobStatus.Running => ExportStatus.Running,
            JobStatus.Completed => ExportStatus.Completed,
            JobStatus.Failed => ExportStatus.Failed,
            JobStatus.Cancelled => ExportStatus.Cancelled,
            _ => ExportStatus.Interrupted, // paused or stopped by a restart: a retry starts it over
        };
        (Error, FinishedAt) = (error, finishedAt);
        return this;
    }
}
