using System.Security.Cryptography;
using BpoStudio.Core;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;
using SkiaSharp;

namespace BpoStudio.Tests.Storage;

public class ImageStoreTests
{
    [Fact]
    public async Task StoresOnceUnderSha256_WhenSameBytesPutTwice()
    {
        using var folder = new TestDataFolder();
        var store = new ImageStore(new DataPaths(folder.Path));
        var png = DemoScene.Generate(1).RenderPng();

        var first = await store.PutAsync(png);
        var second = await store.PutAsync(png);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(png)), first.Hash);
        Assert.True(first.IsNew);
        Assert.False(second.IsNew);
        Assert.Equal((DemoScene.Width, DemoScene.Height, "image/png"), (first.Width, first.Height, first.ContentType));
        Assert.Equal(png, await store.ReadAsync(first.Hash));
        Assert.Single(Directory.GetFiles(Path.Combine(folder.Path, "images"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Refuses_WhenBytesAreNotAnImage()
    {
        using var folder = new TestDataFolder();
        var store = new ImageStore(new DataPaths(folder.Path));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.PutAsync("not an image"u8.ToArray()));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000/..")]
    public void PathFor_RefusesAnythingButAHash(string hash)
    {
        using var folder = new TestDataFolder();
        Assert.ThrowsAny<ArgumentException>(() => new ImageStore(new DataPaths(folder.Path)).PathFor(hash));
    }

    [Fact]
    public async Task ThumbnailFitsRequestedSide()
    {
        using var folder = new TestDataFolder();
        var store = new ImageStore(new DataPaths(folder.Path));
        var stored = await store.PutAsync(DemoScene.Generate(2).RenderPng());

        var path = await store.GetThumbnailPathAsync(stored.Hash, 256);
        using var thumbnail = SKBitmap.Decode(path);
        Assert.Equal(256, Math.Max(thumbnail.Width, thumbnail.Height));
        Assert.Equal(192, Math.Min(thumbnail.Width, thumbnail.Height));
    }
}
