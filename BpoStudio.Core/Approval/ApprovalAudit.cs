namespace BpoStudio.Core.Approval;

/// <summary>The audit log's action names for versions: written here, searched and filtered on the Audit page.</summary>
public static class ApprovalAudit
{
    public const string Approve = "version.approve";
    public const string Deprecate = "version.deprecate";
}
