using System.Text.Json;

namespace BpoStudio.Core.Import;

/// <summary>One image of a record: a path as written, or bytes embedded in the record (RLAIF-V rows), or both.</summary>
public sealed record ImportedImage(string? Path, byte[]? Bytes = null);

/// <summary>
/// Reads a record's image field, which sources write as one path, a list of paths (LLaVA-OneVision, ShareGPT4V
/// interleaved, mDPO and RLAIF-V variants), or RLAIF-V's <c>{bytes, path}</c> objects, alone or in a list.
/// </summary>
public static class RecordImages
{
    public const int MaxImages = 64;

    public static List<ImportedImage> Read(JsonElement record, string name) =>
        Read(record.TryGetProperty(name, out var value) ? value : null, name);

    /// <param name="name">The field's name or path, for the errors.</param>
    public static List<ImportedImage> Read(JsonElement? found, string name)
    {
        if (found is not { ValueKind: not JsonValueKind.Null } value) return [];
        if (value.ValueKind != JsonValueKind.Array) return [One(value, $"'{name}'")];
        var images = new List<ImportedImage>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (images.Count == MaxImages) throw new RecordException($"'{name}' lists more than {MaxImages} images");
            images.Add(One(item, $"'{name}[{index++}]'"));
        }
        return images;
    }

    private static ImportedImage One(JsonElement value, string where)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var path = value.GetString()!;
                return string.IsNullOrWhiteSpace(path) ? throw new RecordException($"{where} is an empty path") : new ImportedImage(path);
            case JsonValueKind.Object:
                var written = value.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
                byte[]? bytes = null;
                if (value.TryGetProperty("bytes", out var b) && b.ValueKind == JsonValueKind.String)
                    bytes = b.TryGetBytesFromBase64(out var decoded) ? decoded : throw new RecordException($"{where}.bytes is not base64");
                return written is null && bytes is null ? throw new RecordException($"{where} has neither a path nor bytes") : new ImportedImage(written, bytes);
            default:
                throw new RecordException($"{where} is {value.ValueKind.ToString().ToLowerInvariant()}, not a path or a list of paths");
        }
    }

    /// <summary>
    /// Several images need one <c>&lt;image&gt;</c> each in the conversation, as the multi-image trainers count them; a
    /// record that disagrees would place its images wrongly, so it is refused, naming both counts.
    /// </summary>
    public static void CheckPlaceholders(IReadOnlyList<ImportedImage> images, IEnumerable<string> texts, string name)
    {
        if (images.Count < 2) return;
        var placeholders = texts.Sum(CountPlaceholders);
        if (placeholders != images.Count)
            throw new RecordException($"'{name}' lists {images.Count} images but the conversation has {placeholders} <image> placeholders; each image needs exactly one");
    }

    public static int CountPlaceholders(string text)
    {
        var count = 0;
        for (var at = text.IndexOf("<image>", StringComparison.Ordinal); at >= 0; at = text.IndexOf("<image>", at + 7, StringComparison.Ordinal)) count++;
        return count;
    }
}
