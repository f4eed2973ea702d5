namespace BpoStudio.Core.Datasets;

public enum PairStatus
{
    Pending,
    Accepted,
    Rejected,
    Flagged,
}

/// <summary>
/// Who made a pair's current decision: a person (or nobody yet), a lead's bulk action, a bulk accept resting on a spot
/// check, or a bulk decision by a judge score threshold calibrated on a blind spot check.
/// </summary>
public enum DecisionSource
{
    Person,
    Bulk,
    SampledStratum,
    Threshold,
}

/// <summary>chosen x rejected for one sample; the unit annotators decide on.</summary>
public class PreferencePair
{
    public long Id { get; set; }

    // Denormalised from the sample so the review queue filters on one indexed table.
    public int DatasetId { get; set; }
    public long SampleId { get; set; }
    public Sample? Sample { get; set; }

    public long ChosenResponseId { get; set; }
    public Response? ChosenResponse { get; set; }
    public long RejectedResponseId { get; set; }
    public Response? RejectedResponse { get; set; }

    public PairStatus Status { get; set; }
    public string? RejectReason { get; set; }
    public string? FlagComment { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? DecidedBy { get; set; }

    public DecisionSource DecisionSource { get; set; }

    /// <summary>The lead who resolved a flag or disagreement; that decision is final.</summary>
    public string? ResolvedBy { get; set; }

    /// <summary>Optimistic concurrency token, bumped on every save (provider-neutral, unlike SQL Server rowversion).</summary>
    public long RowVersion { get; set; }

    /// <summary>Hash of (image, prompt, chosen, rejected) set by the pair checks; equal values mark duplicates.</summary>
    public long? ContentFingerprint { get; set; }
}
