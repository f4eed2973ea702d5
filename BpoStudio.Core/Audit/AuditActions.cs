namespace BpoStudio.Core.Audit;

/// <summary>Audit action names of the triage feature, as stored and filtered on.</summary>
public static class AuditActions
{
    public const string ChecksRun = "triage.checks";
    public const string CheckSeverity = "triage.severity";
    public const string JudgeHints = "judge.hints";
    public const string BulkApply = "triage.bulk";
    public const string BulkUndo = "triage.bulk-undo";
    public const string SpotCheckDraw = "triage.spot-check";
    public const string SeverityWeightsSet = "feedback.severity-weights";
    public const string RatingAspectDefined = "feedback.aspect";
}
