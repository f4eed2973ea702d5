namespace BpoStudio.Core.Judging;

/// <summary>A dataset's judge settings, set by a lead: whether reviewers see the judge's verdict as a hint.</summary>
public class JudgeSetting
{
    public int DatasetId { get; set; }
    public bool ShowHints { get; set; } = true;
    public string? UpdatedBy { get; set; }
    public DateTime UpdatedAt { get; set; }
}
