using BpoStudio.Core.Imaging;
using BpoStudio.Core.Storage;
using SkiaSharp;

namespace BpoStudio.Core.Export;

/// <summary>An image as the export references it: its path relative to the export folder and, if asked, its bytes.</summary>
public sealed record ExportedImage(string RelativePath, string ContentType, byte[]? Bytes, long ByteSize);

/// <summary>
/// Writes each referenced image once under <c>images/</c> with a stable name: the source path when it is a safe
/// relative path (so a BPO export keeps its image field), else the content hash. Re-encodes only when asked to.
/// </summary>
public sealed class ExportImages(ImageStore store, string exportFolder, ExportOptions options)
{
    public const string Folder = "images";
    private readonly Dictionary<(string Hash, string? SourcePath), ExportedImage> _written = [];
    private readonly Dictionary<string, string> _hashByName = new(StringComparer.Ordinal);

    public int Count => _written.Count;

    public async Task<ExportedImage> GetAsync(string hash, string? sourcePath, bool needBytes, IReadOnlySet<string>? allowedTypes, CancellationToken ct)
    {
        if (_written.TryGetValue((hash, sourcePath), out var known) && (!needBytes || known.Bytes is not null)) return known;
        if (!store.Exists(hash)) throw new ExportSkipException($"image {hash[..12]} is not in the image store");

        string contentType;
        byte[]? bytes = null;
        var reencoded = false;
        if (!options.CopyImages && !needBytes) contentType = ContentTypeFromPath(sourcePath) ?? "image/jpeg";
        else
        {
            bytes = await store.ReadAsync(hash, ct);
            (bytes, contentType, reencoded) = await ReencodeAsync(bytes, allowedTypes, ct);
        }
        var name = NameFor(hash, sourcePath, contentType, reencoded);
        var image = new ExportedImage($"{Folder}/{name}", contentType, bytes, bytes?.LongLength ?? 0);
        if (options.CopyImages && !_hashByName.ContainsKey(name))
        {
            var target = Path.Combine(exportFolder, Folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllBytesAsync(target, bytes!, ct);
        }
        _hashByName[name] = hash;
        _written[(hash, sourcePath)] = needBytes ? image : image with { Bytes = null };
        return image;
    }

    private string NameFor(string hash, string? sourcePath, string contentType, bool reencoded)
    {
        var extension = ExtensionFor(contentType);
        if (sourcePath is not null && IsPlainRelative(sourcePath))
        {
            var name = sourcePath.Replace('\\', '/');
            if (reencoded) name = Path.ChangeExtension(name, extension);
            if (!_hashByName.TryGetValue(name, out var owner) || owner == hash) return name;
        }
        return hash + extension;
    }

    // Trainers open images with PIL, which ignores EXIF orientation: a rotated photo is re-encoded upright.
    private async Task<(byte[] Bytes, string ContentType, bool Changed)> ReencodeAsync(byte[] bytes, IReadOnlySet<string>? allowedTypes, CancellationToken ct)
    {
        ImageHeader header;
        try
        {
            header = store.ReadHeader(bytes);
        }
        catch (InvalidDataException ex)
        {
            throw new ExportSkipException($"image cannot be exported: {ex.Message}");
        }
        var target = options.ImageEncoding switch
        {
            ImageEncoding.Jpeg => "image/jpeg",
            ImageEncoding.Png => "image/png",
            ImageEncoding.Webp => "image/webp",
            _ => allowedTypes is null || allowedTypes.Contains(header.ContentType) ? header.ContentType : "image/png",
        };
        var tooLarge = options.MaxImageSide is { } max && Math.Max(header.Width, header.Height) > max;
        // OpenAI takes RGB or RGBA only: grey, palette, CMYK and 16-bit files are decoded and written again as 8-bit RGB(A).
        var layoutFits = !options.Format.Describe().NeedsRgbImages || ImageDecoding.StoresRgb(bytes);
        if (!tooLarge && target == header.ContentType && !header.IsRotated && layoutFits) return (bytes, header.ContentType, false);

        using var bitmap = await store.DecodeToFitAsync(bytes, options.MaxImageSide ?? int.MaxValue, ct);
        using var image = SKImage.FromBitmap(bitmap);
        var format = target switch { "image/png" => SKEncodedImageFormat.Png, "image/webp" => SKEncodedImageFormat.Webp, _ => SKEncodedImageFormat.Jpeg };
        using var data = image.Encode(format, 90) ?? throw new ExportSkipException($"image could not be re-encoded as {target}");
        return (data.ToArray(), target, true);
    }

    private static bool IsPlainRelative(string path) =>
        path.Length is > 0 and < 512 && !Path.IsPathRooted(path) && !path.StartsWith('/') && !path.StartsWith('\\') && !path.Contains(':')
        && !path.Contains('\0') && path.Replace('\\', '/').Split('/').All(part => part.Length > 0 && part != "." && part != "..");

    private static string ExtensionFor(string contentType) => contentType switch
    {
        "image/png" => ".png",
        "image/webp" => ".webp",
        "image/gif" => ".gif",
        "image/bmp" => ".bmp",
        _ => ".jpg",
    };

    private static string? ContentTypeFromPath(string? path) => Path.GetExtension(path ?? "").ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".jpg" or ".jpeg" => "image/jpeg",
        _ => null,
    };
}

/// <summary>A record the target trainer would skip or crash on; it is left out and listed in the manifest with this reason.</summary>
public sealed class ExportSkipException(string reason) : Exception(reason);
