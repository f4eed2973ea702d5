namespace BpoStudio.Core.Triage;

/// <summary>A pair drawn into a spot check's sample, with the stratum (negative kind and method) it was drawn from.</summary>
public class SpotCheckItem
{
    public long Id { get; set; }
    public long SpotCheckId { get; set; }
    public int DatasetId { get; set; }
    public long PairId { get; set; }
    public required string Stratum { get; set; }
}
