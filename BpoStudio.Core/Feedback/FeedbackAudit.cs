namespace BpoStudio.Core.Feedback;

/// <summary>The audit log's action names for error spans and ratings: written here, searched and filtered on the Audit page.</summary>
public static class FeedbackAudit
{
    public const string SeverityWeightsSet = "feedback.severity-weights";
    public const string RatingAspectDefined = "feedback.aspect";
}
