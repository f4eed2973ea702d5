namespace BpoStudio.Core.Datasets;

/// <summary>The audit log's action names for datasets: written here, searched and filtered on the Audit page.</summary>
public static class DatasetAudit
{
    public const string Create = "dataset.create";
}
