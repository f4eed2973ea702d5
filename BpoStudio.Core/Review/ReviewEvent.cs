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
}
