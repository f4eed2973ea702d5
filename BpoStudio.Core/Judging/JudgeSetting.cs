namespace BpoStudio.Core.Judging;

/// <summary>A dataset's judge settings, set by a lead: whether reviewers see the judge's verdict as a hint, and its prompt.</summary>
public class JudgeSetting
{
    public int DatasetId { get; set; }
    public bool ShowHints { get; set; } = true;

    /// <summary>The prompt template runs use unless told otherwise; null: the built-in <c>pairwise-v1</c>.</summary>
    public string? Template { get; set; }
    public string? UpdatedBy { get; set; }
    public DateTime UpdatedAt { get; set; }
}
