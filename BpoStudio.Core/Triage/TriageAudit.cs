namespace BpoStudio.Core.Triage;

/// <summary>The audit log's action names for triage: written here, searched and filtered on the Audit page.</summary>
public static class TriageAudit
{
    public const string ChecksRun = "triage.checks";
    public const string CheckSeverity = "triage.severity";
    public const string BulkApply = "triage.bulk";
    public const string BulkUndo = "triage.bulk-undo";
    public const string SpotCheckDraw = "triage.spot-check";
}
