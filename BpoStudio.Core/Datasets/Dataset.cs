namespace BpoStudio.Core.Datasets;

public class Dataset
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    /// <summary>How many annotators review each pair (agreement needs at least 2).</summary>
    public int Overlap { get; set; } = 1;

    // Severity weights of error spans (Feedback.SeverityWeights): a pair weighs 1 plus its confirmed spans' weights.
    public double MinorErrorWeight { get; set; } = 0.5;
    public double MajorErrorWeight { get; set; } = 1;
    public double CriticalErrorWeight { get; set; } = 2;

    public List<Sample> Samples { get; set; } = [];
}
