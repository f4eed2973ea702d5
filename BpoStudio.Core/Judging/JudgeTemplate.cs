namespace BpoStudio.Core.Judging;

/// <summary>
/// A lead's version of a dataset's judge prompt. Rows are never changed: an edit adds the next version, so every score
/// keeps the exact prompt it was made with (<see cref="Name"/>, recorded on the score).
/// </summary>
public class JudgeTemplate
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public int Version { get; set; }
    public required string System { get; set; }
    public required string User { get; set; }

    /// <summary>The template this version was edited from.</summary>
    public required string BasedOn { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }

    public string Name => NameOf(DatasetId, Version);

    public static string NameOf(int datasetId, int version) => $"dataset{datasetId}-v{version}";

    public JudgePrompt ToPrompt() => new(Name, System, User);
}
