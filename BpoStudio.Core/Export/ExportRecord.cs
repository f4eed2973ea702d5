namespace BpoStudio.Core.Export;

public enum ExportStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Interrupted,

    /// <summary>Its folder and zip were removed to free space; the record and its manifest stay in the history.</summary>
    Deleted,
}

/// <summary>One export run: what was asked, where it went and its manifest once complete.</summary>
public class ExportRecord
{
    public long Id { get; set; }
    public int DatasetId { get; set; }

    /// <summary>Null for a draft export of the current accepted pairs.</summary>
    public int? DatasetVersionId { get; set; }
    public bool IsDraft { get; set; }
    public required string Format { get; set; }
    public required string OptionsJson { get; set; }
    public ExportStatus Status { get; set; }

    /// <summary>The final folder; it only exists once the export completed (it is written under a ".partial" name first).</summary>
    public string? FolderPath { get; set; }
    public string? ZipPath { get; set; }
    public string? ManifestJson { get; set; }
    public long PairsWritten { get; set; }
    public long PairsSkipped { get; set; }
    public string? Error { get; set; }
    public long? JobId { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}
