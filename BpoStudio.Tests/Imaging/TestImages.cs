using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace BpoStudio.Tests.Imaging;

/// <summary>Hostile and awkward images written byte by byte, as an attacker or an old camera would.</summary>
public static class TestImages
{
    /// <summary>
    /// A valid 1-bit greyscale PNG: a few hundred KB on disk, width×height×4 bytes once decoded to RGBA. The left half is
    /// black, the right half white.
    /// </summary>
    public static byte[] BombPng(int width, int height)
    {
        var row = new byte[(width + 7) / 8]; // the packed pixels of one row
        for (var x = width / 2; x < width; x++) row[x / 8] |= (byte)(0x80 >> (x % 8));
        return WritePng(width, height, bitDepth: 1, colourType: 0, palette: null, row, CompressionLevel.SmallestSize);
    }

    /// <summary>A JPEG stored sideways, as phones do: the pixels are <paramref name="width"/>×<paramref name="height"/>, left half red, right half blue, with EXIF orientation <paramref name="orientation"/>.</summary>
    public static byte[] JpegWithOrientation(int width, int height, ushort orientation)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Blue);
            using var red = new SKPaint { Color = SKColors.Red };
            canvas.DrawRect(0, 0, width / 2f, height, red);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        var jpeg = data.ToArray();

        byte[] tiff = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, 0, 0, 0, 0];
        var app1 = new List<byte> { 0xFF, 0xE1, 0, (byte)(2 + 6 + tiff.Length) };
        app1.AddRange("Exif\0\0"u8.ToArray());
        app1.AddRange(tiff);
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>A noisy JPEG (so it does not compress to nothing), built and encoded outside any measurement.</summary>
    public static byte[] Jpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        var random = new Random(7);
        var pixels = bitmap.GetPixelSpan();
        for (var i = 0; i < pixels.Length; i += 4 * 97) pixels[i] = (byte)random.Next(256);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 80);
        return data.ToArray();
    }

    /// <summary>A small PNG in a given layout (colour type 0 grey, 3 palette, 4 grey+alpha, 6 RGBA; bit depth 8 or 16), a gradient.</summary>
    public static byte[] Png(int colourType, int bitDepth = 8, int width = 32, int height = 24)
    {
        var channels = colourType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        var row = new byte[width * channels * bitDepth / 8];
        for (var x = 0; x < width; x++)
            for (var b = 0; b < channels * bitDepth / 8; b++)
                row[x * channels * bitDepth / 8 + b] = colourType == 3 ? (byte)(x % 4) : (byte)(x * 255 / width);
        byte[]? palette = colourType == 3 ? [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0] : null;
        return WritePng(width, height, bitDepth, colourType, palette, row, CompressionLevel.Fastest);
    }

    /// <summary>Signature, IHDR, PLTE when given, <paramref name="row"/> repeated for every row (after its filter byte "none") and deflated, IEND.</summary>
    private static byte[] WritePng(int width, int height, int bitDepth, int colourType, byte[]? palette, byte[] row, CompressionLevel level)
    {
        using var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, level, leaveOpen: true))
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0);
                zlib.Write(row);
            }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9]) = ((byte)bitDepth, (byte)colourType); // compression, filter and interlace 0
        WriteChunk(png, "IHDR", header);
        if (palette is not null) WriteChunk(png, "PLTE", palette);
        WriteChunk(png, "IDAT", idat.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A one-component (greyscale) JPEG.</summary>
    public static byte[] GreyJpeg(int width = 32, int height = 24)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i % width * 255 / width);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    public static byte[] Tiff => [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, 0, 0];

    public static byte[] Heic => [0, 0, 0, 0x18, .. "ftypheic"u8.ToArray(), 0, 0, 0, 0, .. "mif1heic"u8.ToArray()];

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        png.Write(number);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
