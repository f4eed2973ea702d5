namespace BpoStudio.Core.Review;

/// <summary>The audit log's action names for review assignment: written here, searched and filtered on the Audit page.</summary>
public static class ReviewAudit
{
    public const string Assign = "review.assign";
    public const string Unassign = "review.unassign";
    public const string Overlap = "review.overlap";
}
