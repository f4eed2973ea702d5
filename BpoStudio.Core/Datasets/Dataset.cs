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

    public List<Sample> Samples { get; set; } = [];
}
