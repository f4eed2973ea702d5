namespace BpoStudio.Core.Export;

/// <summary>The audit log's action names for exports: written here, searched and filtered on the Audit page.</summary>
public static class ExportAudit
{
    public const string Start = "export.start";
    public const string Complete = "export.complete";
    public const string Retry = "export.retry";
    public const string Delete = "export.delete";
}
