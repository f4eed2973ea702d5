namespace BpoStudio.Core.Export;

public enum ExportStatus
{
    Running,
    Completed,
    Failed,
    Interrupted,
}

public class ExportRecord
{
    public long Id { get; set; }
    public int DatasetId { get; set; }

    /// <summary>Null for a draft export of the current accepted pairs.</summary>
    public int? DatasetVersionId { get; set; }
    public bool IsDraft { get; set; }
    public required string Format { get; set; }
    public ExportStatus Status { get; set; }
    public string? FolderPath { get; set; }
    public string? ManifestJson { get; set; }
    public long? JobId { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}
