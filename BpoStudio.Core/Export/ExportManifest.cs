using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BpoStudio.Core.Export;

public sealed record ManifestFile(string Path, long Bytes, string Sha256);

public sealed record SkippedRecord(long PairId, long SampleId, string Reason);

public sealed record ManifestVersion(int Number, string ContentHash, string ApprovedBy, DateTime ApprovedAt);

public sealed class ExportCounts
{
    public long Samples { get; set; }
    public long Pairs { get; set; }
    public Dictionary<string, long> PairsBySplit { get; } = [];
    public Dictionary<string, long> ByRejectedKind { get; } = [];
    public Dictionary<string, long> ByRejectedMethod { get; } = [];
    public long EditedTexts { get; set; }
    public long Images { get; set; }
    public long Skipped { get; set; }
}

/// <summary>What an export holds and how it was made; written last, so a folder without it is not a finished export.</summary>
public sealed class ExportManifest
{
    public const string FileName = "manifest.json";
    public const int MaxSkippedListed = 10_000;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public required string Format { get; init; }
    public required string FormatTitle { get; init; }
    public required string Dataset { get; init; }
    public bool Draft { get; init; }
    public ManifestVersion? Version { get; init; }
    public required ExportOptions Options { get; init; }
    public required string AppVersion { get; init; }
    public DateTime CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public ExportCounts Counts { get; init; } = new();
    public List<SkippedRecord> Skipped { get; init; } = [];
    public bool SkippedListTruncated { get; set; }
    public List<ManifestFile> Files { get; init; } = [];
    public required string HowToLoad { get; init; }

    public static async Task<ManifestFile> DescribeAsync(string folder, string path, CancellationToken ct)
    {
        var full = System.IO.Path.Combine(folder, path);
        await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, ct);
        return new ManifestFile(path.Replace('\\', '/'), stream.Length, Convert.ToHexStringLower(hash));
    }
}
