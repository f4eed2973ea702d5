using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Triage;

/// <summary>A lead's choice of severity for one check on one dataset; without a row the check's default holds.</summary>
public class CheckSetting
{
    public int DatasetId { get; set; }
    public required string CheckId { get; set; }
    public FindingSeverity Severity { get; set; }
    public string? UpdatedBy { get; set; }
    public DateTime UpdatedAt { get; set; }
}
