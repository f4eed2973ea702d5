namespace BpoStudio.Core.Review;

public enum ReviewAction
{
    Accept,
    Reject,
    EditChosen,
    EditRejected,
    Swap,
    Flag,
    Skip,
    Undo,
    ResolveFlag,
    Assign,
    Unassign,
}

/// <summary>One decision on a pair: append-only history.</summary>
public class ReviewEvent
{
    public long Id { get; set; }
    public long PairId { get; set; }
    public int DatasetId { get; set; }
    public required string UserId { get; set; }
    public string? UserName { get; set; }
    public DateTime At { get; set; }
    public ReviewAction Action { get; set; }
    public string? TextBefore { get; set; }
    public string? TextAfter { get; set; }
    public string? Reason { get; set; }
    public string? Comment { get; set; }

    // The pair as it was before this event, so the event can be undone exactly.
    public Datasets.PairStatus? PreviousStatus { get; set; }
    public long? PreviousChosenResponseId { get; set; }
    public long? PreviousRejectedResponseId { get; set; }
    public string? PreviousAssigneeId { get; set; }
    public Datasets.DecisionSource? PreviousDecisionSource { get; set; }
    public bool Undone { get; set; }

    /// <summary>Set when a lead's bulk action made this event: it is history, not a person's judgement (no agreement, no throughput).</summary>
    public long? BulkActionId { get; set; }
}

public enum Decision
{
    Accepted,
    Rejected,
    Flagged,
}

/// <summary>One annotator's standing decision on a pair: the basis of overlap and agreement.</summary>
public class PairDecision
{
    public long Id { get; set; }
    public long PairId { get; set; }
    public int DatasetId { get; set; }
    public required string UserId { get; set; }
    public Decision Decision { get; set; }
    public string? Reason { get; set; }
    public DateTime At { get; set; }
}
