using Microsoft.Extensions.Options;

namespace BpoStudio.Core;

/// <summary>Where the app keeps its files; every folder lives under one data directory.</summary>
public sealed class DataPaths
{
    public DataPaths(IOptions<BpoStudioOptions> options)
        : this(options.Value.DataDirectory)
    {
    }

    public DataPaths(string? dataDirectory)
    {
        Root = Path.GetFullPath(string.IsNullOrWhiteSpace(dataDirectory) ? DefaultRoot() : dataDirectory);
    }

    public string Root { get; }
    public string Database => Path.Combine(Root, "bpostudio.db");
    public string Images => Path.Combine(Root, "images");
    public string Thumbnails => Path.Combine(Root, "thumbnails");
    public string Exports => Path.Combine(Root, "exports");
    public string Models => Path.Combine(Root, "models");
    public string Uploads => Path.Combine(Root, "uploads");

    /// <summary>The downloadable summary an import job leaves behind.</summary>
    public string ImportSummary(long jobId) => Path.Combine(Uploads, $"import-{jobId}-summary.json");

    public void EnsureCreated()
    {
        foreach (var dir in new[] { Root, Images, Thumbnails, Exports, Models, Uploads })
            Directory.CreateDirectory(dir);
    }

    public static string DefaultRoot() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "BpoStudio");
}
