using System.Security.Cryptography;
using BpoStudio.Core.Imaging;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace BpoStudio.Core.Storage;

public sealed record StoredImageInfo(string Hash, int Width, int Height, string ContentType, long ByteSize, bool IsNew);

/// <summary>
/// Images stored once under their SHA-256; files are only ever addressed by a validated hash. Nothing over the pixel
/// limit is stored, and at most <see cref="ImageLimits.MaxConcurrentLargeDecodes"/> large images are decoded at once.
/// </summary>
public sealed class ImageStore(DataPaths paths, IOptions<BpoStudioOptions>? options = null)
{
    public ImageLimits Limits { get; } = options?.Value.Images ?? new ImageLimits();
    private readonly SemaphoreSlim _largeDecodes = new(Math.Max(1, options?.Value.Images.MaxConcurrentLargeDecodes ?? 2));

    public static readonly IReadOnlyList<int> ThumbnailSizes = [128, 256, 512, 1024];

    public static bool IsValidHash(string? hash) =>
        hash is { Length: 64 } && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public string PathFor(string hash)
    {
        if (!IsValidHash(hash)) throw new InvalidInputError($"'{hash}' is not a SHA-256 image hash.", nameof(hash));
        return Path.Combine(paths.Images, hash[..2], hash);
    }

    public bool Exists(string hash) => IsValidHash(hash) && File.Exists(PathFor(hash));

    public async Task<StoredImageInfo> PutAsync(byte[] bytes, CancellationToken ct = default)
    {
        var (width, height, contentType, _) = ReadHeader(bytes);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var target = PathFor(hash);
        if (File.Exists(target)) return new(hash, width, height, contentType, bytes.Length, IsNew: false);

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, ct);
        try
        {
            File.Move(temp, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Another writer stored the same content first; identical bytes, nothing to do.
            File.Delete(temp);
            return new(hash, width, height, contentType, bytes.Length, IsNew: false);
        }
        return new(hash, width, height, contentType, bytes.Length, IsNew: true);
    }

    public async Task<byte[]> ReadAsync(string hash, CancellationToken ct = default) =>
        await File.ReadAllBytesAsync(PathFor(hash), ct);

    /// <summary>A JPEG no larger than <paramref name="maxSide"/>, cached on disk beside the store.</summary>
    public async Task<string> GetThumbnailPathAsync(string hash, int maxSide, CancellationToken ct = default)
    {
        if (!ThumbnailSizes.Contains(maxSide))
            throw new ArgumentOutOfRangeException(nameof(maxSide), $"Thumbnail size must be one of {string.Join(", ", ThumbnailSizes)}.");
        var source = PathFor(hash);
        var target = Path.Combine(paths.Thumbnails, maxSide.ToString(System.Globalization.CultureInfo.InvariantCulture), hash[..2], hash + ".jpg");
        if (File.Exists(target)) return target;

        using var resized = await DecodeToFitAsync(await File.ReadAllBytesAsync(source, ct), maxSide, ct);
        using var image = SKImage.FromBitmap(resized);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, data.ToArray(), ct);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    /// <summary>Dimensions (as displayed), type and orientation from the header; throws <see cref="InvalidDataException"/> for non-images, the pixel limit included.</summary>
    public ImageHeader ReadHeader(byte[] bytes) => ImageDecoding.ReadHeader(bytes, Limits);

    /// <summary>The image oriented and no larger than <paramref name="maxSide"/>, waiting for a slot when it is large.</summary>
    public async Task<SKBitmap> DecodeToFitAsync(byte[] bytes, int maxSide, CancellationToken ct = default)
    {
        var header = ReadHeader(bytes);
        if (header.Pixels <= Limits.LargePixels) return ImageDecoding.DecodeToFit(bytes, maxSide, Limits);
        await _largeDecodes.WaitAsync(ct);
        try
        {
            return await Task.Run(() => ImageDecoding.DecodeToFit(bytes, maxSide, Limits), ct);
        }
        finally
        {
            _largeDecodes.Release();
        }
    }

    public static string SniffContentType(ReadOnlySpan<byte> header) => header switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, 0x50, 0x4E, 0x47, ..] => "image/png",
        [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..] => "image/webp",
        [0x47, 0x49, 0x46, ..] => "image/gif",
        [0x42, 0x4D, ..] => "image/bmp",
        _ => "application/octet-stream",
    };
}
