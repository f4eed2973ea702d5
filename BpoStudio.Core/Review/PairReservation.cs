namespace BpoStudio.Core.Review;

/// <summary>
/// A pair held for one reviewer while it is on their screen, so the shared queue serves it to nobody else (or, with
/// overlap N, to at most N people counting those who decided it). Renewed while shown; gone on decision, skip, leaving
/// the page, or expiry, after which the pair returns to the queue.
/// </summary>
public class PairReservation
{
    public long PairId { get; set; }
    public required string UserId { get; set; }
    public int DatasetId { get; set; }
    public long SampleId { get; set; }
    public DateTime ExpiresAt { get; set; }
}
