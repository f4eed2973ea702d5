using System.Diagnostics;
using System.Text;
using BpoStudio.Core.Import;

namespace BpoStudio.Core.Benchmarks;

public sealed record ImportBenchmarkResult(long Records, double FileMegabytes, double ImportSeconds, double RecordsPerSecond,
    double BaselineSeconds, double BaselineRecordsPerSecond, double RatioToBaseline, double PeakWorkingSetMegabytes, double SearchCatchUpSeconds, long RowsIndexedAfter);

/// <summary>
/// <c>bench import</c>: a synthetic LLaVA file of N text-only records (no image copying) imported into a throwaway
/// database, against parsing the same file without storing it, in the same run. A large import leaves the full-text
/// index to catch up after it (Datasets/SearchIndex): that follows, timed on its own.
/// </summary>
public sealed class ImportBenchmark(DatasetImporter importer, Datasets.SearchIndexer searchIndexer)
{
    public async Task<ImportBenchmarkResult> RunAsync(long records, string scratchFolder, CancellationToken ct = default)
    {
        var path = Path.Combine(scratchFolder, "bench-llava.json");
        await WriteSyntheticFileAsync(path, records, ct);

        var baseline = Stopwatch.StartNew();
        var (isArray, format) = await ImportReader.DetectAsync(path, null, ct);
        long parsed = 0;
        await foreach (var item in ImportReader.ReadAsync(path, isArray, format, ct)) parsed += item.Samples.Count;
        baseline.Stop();

        var import = Stopwatch.StartNew();
        var summary = await importer.ImportAsync(new ImportRequest(path, "bench-import", null), ct: ct);
        import.Stop();
        if (summary.Imported != records || parsed != records)
            throw new InvalidOperationException($"The benchmark imported {summary.Imported:N0} and parsed {parsed:N0} of {records:N0} records.");

        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var peak = self.PeakWorkingSet64 / 1e6;
        var catchUp = Stopwatch.StartNew();
        var indexed = await searchIndexer.CatchUpAsync(ct);
        catchUp.Stop();
        return new ImportBenchmarkResult(records, new FileInfo(path).Length / 1e6, import.Elapsed.TotalSeconds, records / import.Elapsed.TotalSeconds,
            baseline.Elapsed.TotalSeconds, records / baseline.Elapsed.TotalSeconds, baseline.Elapsed.TotalSeconds / import.Elapsed.TotalSeconds,
            peak, catchUp.Elapsed.TotalSeconds, indexed);
    }

    /// <summary>
    /// Three files of <paramref name="records"/> new BPO records each, one image per ten records shared across the files (as
    /// VQA data shares pictures), imported in turn into one dataset: seconds of the third over the first. Work that grows
    /// with what the dataset holds shows here (looking up samples by image once walked the whole dataset: 8x at 15,000).
    /// </summary>
    public async Task<(double First, double Third)> RunGrowthAsync(int records, string scratchFolder, CancellationToken ct = default)
    {
        var images = Path.Combine(scratchFolder, "bench-growth-images");
        Directory.CreateDirectory(images);
        var pictures = Math.Max(1, records / 10);
        for (var i = 0; i < pictures; i++)
            await File.WriteAllBytesAsync(Path.Combine(images, $"{i}.png"), Datasets.Demo.DemoScene.Generate(i).RenderPng(), ct);
        var seconds = new List<double>();
        for (var part = 0; part < 3; part++)
        {
            var path = Path.Combine(scratchFolder, $"part-{part}", "bench-growth.jsonl");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllLinesAsync(path, Enumerable.Range(part * records, records).Select(i => System.Text.Json.JsonSerializer.Serialize(new
            {
                id = $"g{i:D9}", image = $"{i % pictures}.png", prompt = $"What colour is the bus in picture {i}?",
                completions = new object[] { new { response = $"The bus in picture {i} is red.", type = "gt" }, new { response = $"The bus in picture {i} is blue.", type = "llm-hal" } },
            })), ct);
            var watch = Stopwatch.StartNew();
            var summary = await importer.ImportAsync(new ImportRequest(path, "bench-growth", images, ImportFormat.Bpo), ct: ct);
            seconds.Add(watch.Elapsed.TotalSeconds);
            if (summary.Imported != records) throw new InvalidOperationException($"The growth benchmark imported {summary.Imported:N0} of {records:N0} records.");
        }
        return (seconds[0], seconds[2]);
    }

    private static async Task WriteSyntheticFileAsync(string path, long records, CancellationToken ct)
    {
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        await writer.WriteAsync('[');
        for (long i = 0; i < records; i++)
        {
            if (i > 0) await writer.WriteAsync(",\n");
            await writer.WriteAsync($$"""{"id":"{{i:D9}}","conversations":[{"from":"human","value":"<image>\nWhat is the person in picture {{i}} doing?"},{"from":"gpt","value":"The person in picture {{i}} is riding a red bicycle along a quiet street next to two parked cars."}]}""");
            if (i % 100_000 == 0) ct.ThrowIfCancellationRequested();
        }
        await writer.WriteAsync(']');
    }
}
