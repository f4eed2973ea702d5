using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Triage;

public enum BulkOperation
{
    Accept,
    Reject,
    Flag,
    Assign,
    Unassign,
}

/// <summary>
/// One lead's decision applied to every pair matching a filter: one audited unit, undone as a whole. Each pair it
/// changed has a review event pointing here, which records what the pair was before.
/// </summary>
public class BulkAction
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public BulkOperation Operation { get; set; }
    public string? Reason { get; set; }
    public string? AssigneeId { get; set; }

    /// <summary>The <see cref="PairFilter"/> as JSON, and in words.</summary>
    public required string FilterJson { get; set; }
    public required string FilterText { get; set; }
    public bool IncludeDecided { get; set; }

    public int Matched { get; set; }
    public int Applied { get; set; }

    /// <summary>Set when the action accepted the rest of a spot-checked stratum; <see cref="Notes"/> then carries the sample's figures.</summary>
    public long? SpotCheckId { get; set; }
    public string? Notes { get; set; }

    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UndoneAt { get; set; }
    public string? UndoneBy { get; set; }
    public int Restored { get; set; }
}

/// <summary>A seeded random sample of a filter's pairs for annotators to review, so a lead can accept the rest on evidence.</summary>
public class SpotCheck
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public required string FilterJson { get; set; }
    public required string FilterText { get; set; }
    public long Seed { get; set; }
    public int SampleSize { get; set; }
    public bool Stratified { get; set; }

    /// <summary>The acceptance rate the Wilson lower bound must reach before the rest may be bulk-accepted.</summary>
    public double Threshold { get; set; }

    /// <summary>The half-width of the interval the lead wants; drives the sample size the page suggests.</summary>
    public double Margin { get; set; }

    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
}
