using BpoStudio.Core;
using BpoStudio.Core.Export;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;
using SkiaSharp;

namespace BpoStudio.Tests.Imaging;

public class ImageDecodingTests
{
    [Fact]
    public void ABombIsRefusedFromItsHeader_WithTheSizeAndTheLimit()
    {
        var bomb = TestImages.BombPng(30000, 30000);
        Assert.True(bomb.Length < 2_000_000, $"{bomb.Length} bytes");
        var error = Assert.Throws<InvalidDataException>(() => ImageDecoding.ReadHeader(bomb));
        Assert.Contains("30000×30000 (900 megapixels); the limit is 50 megapixels", error.Message);
        Assert.Throws<InvalidDataException>(() => ImageDecoding.DecodeToFit(bomb, 256));
        Assert.Throws<InvalidDataException>(() => Pixels.Decode(bomb));
        Assert.Equal(900_000_000, ImageDecoding.ReadHeader(bomb, new ImageLimits { MaxPixels = 1_000_000_000 }).Pixels);
    }

    [Fact]
    public async Task TheStoreRefusesABomb_AndAThumbnailOfOneStoredEarlierIsAClearError()
    {
        using var folder = new TestDataFolder();
        var store = new ImageStore(new DataPaths(folder.Path));
        var bomb = TestImages.BombPng(12000, 12000);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.PutAsync(bomb));
        Assert.Contains("144 megapixels", error.Message);

        // As if stored before the limit existed.
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bomb));
        Directory.CreateDirectory(Path.GetDirectoryName(store.PathFor(hash))!);
        await File.WriteAllBytesAsync(store.PathFor(hash), bomb);
        error = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetThumbnailPathAsync(hash, 256));
        Assert.Contains("megapixels", error.Message);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(1024)]
    public void DownscaledDecodes_KeepTheContent(int maxSide)
    {
        using var bitmap = ImageDecoding.DecodeToFit(TestImages.BombPng(3000, 1500), maxSide);
        Assert.Equal((maxSide, maxSide / 2), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.Black, bitmap.GetPixel(maxSide / 8, maxSide / 4));
        Assert.Equal(SKColors.White, bitmap.GetPixel(maxSide * 7 / 8, maxSide / 4));
    }

    [Theory]
    [InlineData(6, "red", "blue")] // rotate 90° clockwise: the left half ends on top
    [InlineData(8, "blue", "red")] // rotate 90° anticlockwise
    public async Task ExifOrientation_IsAppliedInHeadersThumbnailsAndExports(ushort orientation, string top, string bottom)
    {
        var photo = TestImages.JpegWithOrientation(80, 40, orientation);
        var header = ImageDecoding.ReadHeader(photo);
        Assert.Equal((40, 80, true), (header.Width, header.Height, header.IsRotated));

        using var folder = new TestDataFolder();
        var store = new ImageStore(new DataPaths(folder.Path));
        var stored = await store.PutAsync(photo);
        Assert.Equal((40, 80), (stored.Width, stored.Height));
        using var thumbnail = SKBitmap.Decode(await store.GetThumbnailPathAsync(stored.Hash, 128));
        Assert.Equal((40, 80), (thumbnail.Width, thumbnail.Height));
        Assert.Equal(top, ColourName(thumbnail.GetPixel(20, 10)));
        Assert.Equal(bottom, ColourName(thumbnail.GetPixel(20, 70)));

        // PIL, which the trainers use, ignores EXIF orientation: the exported file must be upright in its pixels.
        var images = new ExportImages(store, folder.File("export"), new ExportOptions(1, 1, ExportFormat.Trl));
        var exported = await images.GetAsync(stored.Hash, "photos/p.jpg", needBytes: true, null, default);
        using var upright = SKBitmap.Decode(exported.Bytes);
        Assert.Equal(SKEncodedOrigin.TopLeft, ImageDecoding.ReadHeader(exported.Bytes!).Origin);
        Assert.Equal((40, 80), (upright.Width, upright.Height));
        Assert.Equal(top, ColourName(upright.GetPixel(20, 10)));
    }

    [Theory]
    [InlineData("tiff", "unsupported format (TIFF)")]
    [InlineData("heic", "unsupported format (HEIC)")]
    [InlineData("junk", "unknown or corrupt")]
    public void UnsupportedFormats_AreNamed_NotCalledCorrupt(string kind, string expected)
    {
        var bytes = kind switch { "tiff" => TestImages.Tiff, "heic" => TestImages.Heic, _ => "not an image at all"u8.ToArray() };
        Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => ImageDecoding.ReadHeader(bytes)).Message);
    }

    private static string ColourName(SKColor c) => c.Red > 200 && c.Blue < 60 ? "red" : c.Blue > 200 && c.Red < 60 ? "blue" : c.ToString();
}
