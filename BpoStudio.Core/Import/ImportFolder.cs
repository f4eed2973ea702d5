namespace BpoStudio.Core.Import;

/// <summary>A server folder an admin allowed imports to read from, added on the Admin pages (no restart needed).</summary>
public class ImportFolder
{
    public int Id { get; set; }
    public required string Path { get; set; }
    public string? AddedBy { get; set; }
    public DateTime AddedAt { get; set; }
}

/// <summary>An allowed folder as the pages show it; <see cref="Id"/> is null for folders from configuration, which only a restart changes.</summary>
public sealed record AllowedFolder(int? Id, string Path, string? AddedBy, DateTime? AddedAt)
{
    public bool FromConfiguration => Id is null;
}
