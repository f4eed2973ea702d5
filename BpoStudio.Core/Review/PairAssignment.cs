namespace BpoStudio.Core.Review;

/// <summary>
/// One annotator's share of a pair: with overlap N a pair has up to N of them, each a different person. The queue serves
/// a reviewer her assigned pairs first; a pair with none is anyone's.
/// </summary>
public class PairAssignment
{
    public long PairId { get; set; }
    public required string UserId { get; set; }
    public int DatasetId { get; set; }
}
