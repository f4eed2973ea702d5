namespace BpoStudio.Core.Approval;

/// <summary>An approved, frozen set of accepted pairs. Its items are snapshots, so later edits never change it.</summary>
public class DatasetVersion
{
    public int Id { get; set; }
    public int DatasetId { get; set; }
    public int Number { get; set; }
    public required string ContentHash { get; set; }
    public required string ApprovedBy { get; set; }
    public DateTime ApprovedAt { get; set; }
    public string? Notes { get; set; }
    public bool Deprecated { get; set; }
    public string? DeprecatedBy { get; set; }
    public DateTime? DeprecatedAt { get; set; }
    public string? DeprecationReason { get; set; }
    public int PairCount { get; set; }

    public List<DatasetVersionItem> Items { get; set; } = [];
}

public class DatasetVersionItem
{
    public long Id { get; set; }
    public int DatasetVersionId { get; set; }
    public long PairId { get; set; }
    public long SampleId { get; set; }

    // The responses are immutable (edits add new rows), so their score and provenance can be joined at export time.
    public long ChosenResponseId { get; set; }
    public long RejectedResponseId { get; set; }
    public string? ImageHash { get; set; }

    /// <summary>The pair's weight from its error spans when approved (Feedback.SeverityWeights); null: 1, no span was marked.</summary>
    public double? Weight { get; set; }

    /// <summary>The confirmed error spans on the rejected answer when approved (a JSON array of start, length, text, type, severity); null: none.</summary>
    public string? ErrorSpansJson { get; set; }

    /// <summary>The sample's later images (a JSON array, as on the sample); null for one image.</summary>
    public string? MoreImageHashes { get; set; }
    public required string Prompt { get; set; }
    public required string ChosenText { get; set; }
    public required string RejectedText { get; set; }
    public required string ChosenKind { get; set; }
    public required string RejectedKind { get; set; }
    public string? RejectedMethod { get; set; }

    // Snapshotted too, so an export of a version reads this one table (no joins) unless it needs scores or source ids.
    public bool ChosenEdited { get; set; }
    public bool RejectedEdited { get; set; }

    /// <summary>Whether a person, a bulk action or a spot-checked bulk accept decided the pair when the version was approved.</summary>
    public Datasets.DecisionSource DecisionSource { get; set; }
    public string? ImagePath { get; set; }
    public string? ImageProblem { get; set; }
}
