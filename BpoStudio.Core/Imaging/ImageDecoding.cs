using SkiaSharp;

namespace BpoStudio.Core.Imaging;

/// <summary>What the header says, with width and height as displayed (after the EXIF orientation).</summary>
public sealed record ImageHeader(int Width, int Height, string ContentType, SKEncodedOrigin Origin)
{
    public long Pixels => (long)Width * Height;
    public bool IsRotated => Origin != SKEncodedOrigin.TopLeft;
}

/// <summary>
/// Every decode of untrusted image bytes goes through here: the header is read and the pixel limit checked before any
/// pixel is decoded, downscaled decodes never hold the full-size image, and the EXIF orientation is applied.
/// </summary>
public static class ImageDecoding
{
    public static ImageHeader ReadHeader(byte[] bytes, ImageLimits? limits = null)
    {
        using var codec = OpenCodec(bytes);
        return CheckedHeader(codec, limits);
    }

    /// <summary>The whole image, oriented, as RGBA.</summary>
    public static SKBitmap Decode(byte[] bytes, ImageLimits? limits = null)
    {
        using var codec = OpenCodec(bytes);
        CheckedHeader(codec, limits);
        return ToUnpremul(Orient(DecodeFull(codec), codec.EncodedOrigin));
    }

    /// <summary>
    /// The image oriented and scaled so its longer side is at most <paramref name="maxSide"/>. JPEG and WebP are decoded
    /// scaled (a 1/8 JPEG decode holds 1/64 of the pixels); the others decode whole and are then resized.
    /// </summary>
    public static SKBitmap DecodeToFit(byte[] bytes, int maxSide, ImageLimits? limits = null)
    {
        using var codec = OpenCodec(bytes);
        CheckedHeader(codec, limits);
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(width, height));
        var target = new SKSizeI(Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
        var reduced = scale >= 1 ? DecodeFull(codec) : DecodeReduced(codec, scale, target);
        if (reduced.Width != target.Width || reduced.Height != target.Height)
        {
            var exact = Resize(reduced, target);
            reduced.Dispose();
            reduced = exact;
        }
        return ToUnpremul(Orient(reduced, codec.EncodedOrigin));
    }

    private static SKCodec OpenCodec(byte[] bytes)
    {
        var codec = SKCodec.Create(new SKMemoryStream(bytes));
        if (codec is not null) return codec;
        throw UnsupportedFormat(bytes) is { } format
            ? new InvalidDataException($"unsupported format ({format}); convert it to PNG, JPEG or WebP")
            : new InvalidDataException("not a readable image (unknown or corrupt format)");
    }

    private static ImageHeader CheckedHeader(SKCodec codec, ImageLimits? limits)
    {
        var info = codec.Info;
        var swap = codec.EncodedOrigin >= SKEncodedOrigin.LeftTop;
        var header = new ImageHeader(swap ? info.Height : info.Width, swap ? info.Width : info.Height, ContentTypeOf(codec.EncodedFormat), codec.EncodedOrigin);
        var max = (limits ?? new ImageLimits()).MaxPixels;
        if (header.Pixels > max)
            throw new InvalidDataException($"image is {info.Width}×{info.Height} ({header.Pixels / 1e6:0.#} megapixels); the limit is {max / 1e6:0.#} megapixels (BpoStudio:Images:MaxPixels)");
        return header;
    }

    private static string? UnsupportedFormat(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x49, 0x49, 0x2A, 0x00, ..] or [0x4D, 0x4D, 0x00, 0x2A, ..] => "TIFF",
        [_, _, _, _, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, ..] => "AVIF",
        [_, _, _, _, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, ..] or [_, _, _, _, 0x66, 0x74, 0x79, 0x70, 0x6D, 0x69, 0x66, 0x31, ..] => "HEIC",
        [0x3C, ..] or [0xEF, 0xBB, 0xBF, 0x3C, ..] => "SVG or other markup",
        [0x00, 0x00, 0x01, 0x00, ..] => "ICO",
        _ => null,
    };

    private static SKBitmap DecodeFull(SKCodec codec)
    {
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is SKCodecResult.Success or SKCodecResult.IncompleteInput) return bitmap;
        bitmap.Dispose();
        throw new InvalidDataException($"the image cannot be decoded ({result})");
    }

    private static SKBitmap DecodeReduced(SKCodec codec, double scale, SKSizeI target)
    {
        // JPEG decoders scale by n/8 and round the request down: ask for the smallest n/8 that still covers the target.
        for (var eighths = Math.Max(1, (int)Math.Ceiling(scale * 8)); eighths < 8; eighths++)
        {
            var scaled = codec.GetScaledDimensions(eighths / 8f);
            if (scaled.Width >= codec.Info.Width || scaled.Width < target.Width || scaled.Height < target.Height) continue;
            var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var bitmap = new SKBitmap(info);
            if (codec.GetPixels(info, bitmap.GetPixels()) is SKCodecResult.Success or SKCodecResult.IncompleteInput) return bitmap;
            bitmap.Dispose();
            break;
        }
        return DecodeFull(codec); // PNG, GIF and BMP cannot be decoded scaled here; the store's gate bounds how many run at once
    }

    private static SKBitmap Resize(SKBitmap source, SKSizeI size)
    {
        var result = new SKBitmap(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, source.AlphaType));
        source.ScalePixels(result, new SKSamplingOptions(SKCubicResampler.Mitchell));
        return result;
    }

    /// <summary>Turns the pixels the way the EXIF orientation says the picture is meant to be seen; takes ownership of <paramref name="source"/>.</summary>
    private static SKBitmap Orient(SKBitmap source, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft) return source;
        var (w, h) = (source.Width, source.Height);
        var swap = origin >= SKEncodedOrigin.LeftTop;
        var result = new SKBitmap(new SKImageInfo(swap ? h : w, swap ? w : h, SKColorType.Rgba8888, SKAlphaType.Premul));
        // x' = ScaleX·x + SkewX·y + TransX, y' = SkewY·x + ScaleY·y + TransY
        var matrix = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            _ => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1), // LeftBottom
        };
        using (var canvas = new SKCanvas(result))
        using (var image = SKImage.FromBitmap(source))
        {
            canvas.SetMatrix(matrix);
            canvas.DrawImage(image, 0, 0);
        }
        source.Dispose();
        return result;
    }

    // The one pixel layout the rest of the code sees: RGBA, unpremultiplied.
    private static SKBitmap ToUnpremul(SKBitmap source)
    {
        if (source is { ColorType: SKColorType.Rgba8888, AlphaType: SKAlphaType.Unpremul }) return source;
        var result = new SKBitmap(new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var pixmap = source.PeekPixels())
            if (!pixmap.ReadPixels(result.Info, result.GetPixels(), result.RowBytes)) throw new InvalidDataException("the image's pixels could not be converted");
        source.Dispose();
        return result;
    }

    /// <summary>
    /// Whether the file stores 8-bit RGB or RGBA pixels, read from its header: PNG colour types 2 and 6 at 8 bits,
    /// JPEG with three components. Grey, grey+alpha, palette, CMYK and 16-bit files answer false; WebP is always RGB(A).
    /// </summary>
    public static bool StoresRgb(ReadOnlySpan<byte> bytes)
    {
        if (bytes is [0x89, 0x50, 0x4E, 0x47, ..] && bytes.Length > 25) return bytes[24] == 8 && bytes[25] is 2 or 6;
        if (bytes is [_, _, _, _, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..]) return true;
        if (bytes is not [0xFF, 0xD8, ..]) return false;
        for (var at = 2; at + 9 < bytes.Length;)
        {
            if (bytes[at] != 0xFF) return false;
            var marker = bytes[at + 1];
            var length = (bytes[at + 2] << 8) | bytes[at + 3];
            // Start of frame (baseline, progressive, ...): precision, height, width, then the component count.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC) return bytes[at + 9] == 3;
            at += 2 + length;
        }
        return false;
    }

    public static string ContentTypeOf(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "image/jpeg",
        SKEncodedImageFormat.Png => "image/png",
        SKEncodedImageFormat.Webp => "image/webp",
        SKEncodedImageFormat.Gif => "image/gif",
        SKEncodedImageFormat.Bmp => "image/bmp",
        _ => "application/octet-stream",
    };
}
