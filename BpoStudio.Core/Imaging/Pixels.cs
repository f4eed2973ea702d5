using SkiaSharp;

namespace BpoStudio.Core.Imaging;

/// <summary>Decoding and encoding in one fixed pixel layout (RGBA, unpremultiplied), so transforms see stable bytes.</summary>
public static class Pixels
{
    public static SKBitmap Decode(byte[] encoded, ImageLimits? limits = null) => ImageDecoding.Decode(encoded, limits);

    public static SKBitmap ToRgba(SKBitmap source)
    {
        var info = new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var result = new SKBitmap(info);
        if (!source.CopyTo(result, SKColorType.Rgba8888))
            using (var canvas = new SKCanvas(result)) canvas.DrawBitmap(source, 0, 0);
        return result;
    }

    // Weakened images are mostly noise, which deflate cannot shrink: the fastest level loses little size and most time.
    private static readonly SKPngEncoderOptions FastPng = new(SKPngEncoderFilterFlags.Sub, zLibLevel: 1);

    public static byte[] EncodePng(SKBitmap bitmap)
    {
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(FastPng) ?? throw new InvalidOperationException("PNG encoding failed.");
        return data.ToArray();
    }

    public static SKBitmap Resize(SKBitmap source, int width, int height, SKSamplingOptions sampling)
    {
        var result = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        source.ScalePixels(result, sampling);
        return result;
    }
}
