using BpoStudio.Core;
using BpoStudio.Core.Export;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Imaging;

/// <summary>Runs alone, after every parallel test, so the process's peak memory belongs to it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredCollection
{
    public const string Name = "memory measured";
}

[Collection(MemoryMeasuredCollection.Name)]
public class DecodeMemoryTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public async Task FourThumbnailsAndADownscaledExport_OfA49MegapixelJpeg_DecodeScaled()
    {
        if (!OperatingSystem.IsLinux()) return; // the peak is read from /proc
        using var folder = new TestDataFolder();
        var store = new ImageStore(new DataPaths(folder.Path));
        var stored = await store.PutAsync(TestImages.Jpeg(7000, 7000)); // 187 MiB once decoded to RGBA

        var growth = await PeakGrowthAsync(() => ThumbnailsAndExportAsync(store, folder, stored.Hash));

        Assert.True(growth < 80 * MiB, $"peak grew by {growth / MiB} MiB; one full decode is 187 MiB, five at once 935 MiB");
    }

    [Fact]
    public async Task FivePngDecodesAtOnce_WaitForTheGate_SoAtMostTwoFullDecodesAreHeld()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var folder = new TestDataFolder();
        var store = new ImageStore(new DataPaths(folder.Path)); // two large decodes at once by default
        var stored = await store.PutAsync(TestImages.BombPng(7000, 7000));

        var growth = await PeakGrowthAsync(() => ThumbnailsAndExportAsync(store, folder, stored.Hash));

        Assert.True(growth < 450 * MiB, $"peak grew by {growth / MiB} MiB; two full decodes are 374 MiB, five at once 935 MiB");
        Assert.All(ImageStore.ThumbnailSizes, size => Assert.True(File.Exists(Path.Combine(folder.Path, "thumbnails", size.ToString(), stored.Hash[..2], stored.Hash + ".jpg"))));
    }

    private static Task ThumbnailsAndExportAsync(ImageStore store, TestDataFolder folder, string hash)
    {
        var export = new ExportImages(store, folder.File("export"), new ExportOptions(1, 1, ExportFormat.Trl, MaxImageSide: 512, ImageEncoding: ImageEncoding.Jpeg));
        return Task.WhenAll([.. ImageStore.ThumbnailSizes.Select(size => store.GetThumbnailPathAsync(hash, size)),
            export.GetAsync(hash, "big.png", needBytes: true, null, default)]);
    }

    private static async Task<long> PeakGrowthAsync(Func<Task> work)
    {
        var before = ResetPeak();
        await work();
        return PeakResident() - before;
    }

    private static long ResetPeak()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current resident size
        return PeakResident();
    }

    private static long PeakResident()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
