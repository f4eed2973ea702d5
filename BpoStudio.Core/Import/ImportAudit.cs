namespace BpoStudio.Core.Import;

/// <summary>The audit log's action names for imports: written here, searched and filtered on the Audit page.</summary>
public static class ImportAudit
{
    public const string FolderAdd = "import-folder.add";
    public const string FolderRemove = "import-folder.remove";
    public const string Rollback = "import.rollback";
}
