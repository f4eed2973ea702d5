using System.IO.Compression;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

/// <param name="VersionId">The approved version's row id; null for a draft.</param>
/// <param name="PairCount">Pairs before negative selection and loader rules: the progress total.</param>
public sealed record ExportPlan(ExportOptions Options, string DatasetName, int? VersionId, ManifestVersion? Version, string? CreatedBy, bool MakeZip = true, long PairCount = 0);

public sealed record ExportResult(ExportManifest Manifest, string Folder, string? ZipPath);

/// <summary>
/// Writes an export into "<i>target</i>.partial", then moves it (and its zip) into place only when every file is
/// written and flushed and the manifest is last: an interrupted export never leaves anything that looks complete.
/// </summary>
public sealed class ExportRunner(ExportSource source, ImageStore store, IDbContextFactory<BpoDbContext> dbFactory)
{
    public const string PartialSuffix = ".partial";
    public static readonly string AppVersion = typeof(ExportRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "dev";

    /// <summary>Resolves the dataset and the approved version the options name; refuses a deprecated version.</summary>
    public async Task<ExportPlan> PlanAsync(ExportOptions options, string? createdBy, bool makeZip = true, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await db.Datasets.Where(d => d.Id == options.DatasetId).Select(d => d.Name).FirstOrDefaultAsync(ct)
            ?? throw new KeyNotFoundException($"There is no dataset {options.DatasetId}.");
        if (options.VersionNumber is not { } number)
        {
            var accepted = await db.Pairs.CountAsync(p => p.DatasetId == options.DatasetId && p.Status == PairStatus.Accepted, ct);
            if (accepted == 0) throw new InvalidOperationException($"'{dataset}' has no accepted pairs to export yet.");
            return new ExportPlan(options, dataset, null, null, createdBy, makeZip, accepted);
        }
        var version = await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.DatasetId == options.DatasetId && v.Number == number, ct)
            ?? throw new KeyNotFoundException($"'{dataset}' has no version {number}.");
        if (version.Deprecated) throw new InvalidOperationException($"Version {number} of '{dataset}' is deprecated ({version.DeprecationReason}); export a current version.");
        return new ExportPlan(options, dataset, version.Id, new ManifestVersion(version.Number, version.ContentHash, version.ApprovedBy, version.ApprovedAt), createdBy, makeZip, version.PairCount);
    }

    public async Task<ExportResult> RunAsync(ExportPlan plan, string target, Func<long, Task>? progress = null, CancellationToken ct = default)
    {
        var options = plan.Options;
        options.Validate();
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) || File.Exists(target)) throw new IOException($"{target} already exists; choose a new folder so no earlier export is overwritten.");
        var partial = target + PartialSuffix;
        var zipPartial = target + ".zip" + PartialSuffix;
        DeletePartials(partial, zipPartial);
        Directory.CreateDirectory(partial);
        try
        {
            var manifest = await WriteAsync(plan, partial, progress, ct);
            string? zip = null;
            if (plan.MakeZip)
            {
                await Task.Run(() => ZipFile.CreateFromDirectory(partial, zipPartial, CompressionLevel.Fastest, includeBaseDirectory: false), ct);
                zip = target + ".zip";
            }
            ct.ThrowIfCancellationRequested();
            Directory.Move(partial, target);
            if (zip is not null) File.Move(zipPartial, zip);
            return new ExportResult(manifest, target, zip);
        }
        catch
        {
            DeletePartials(partial, zipPartial);
            throw;
        }
    }

    /// <summary>Removes what an export killed mid-way left behind.</summary>
    public static void DeletePartials(params string[] paths)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    private async Task<ExportManifest> WriteAsync(ExportPlan plan, string folder, Func<long, Task>? progress, CancellationToken ct)
    {
        var options = plan.Options;
        var format = options.Format;
        var images = new ExportImages(store, folder, options with { CopyImages = options.CopyImages && ReferencesImageFiles(format) });
        var needBytes = !ReferencesImageFiles(format);
        var allowedTypes = format == ExportFormat.OpenAi ? LoaderRules.OpenAiImageTypes : null;
        var counts = new ExportCounts();
        var skipped = new List<SkippedRecord>();
        var writers = new Dictionary<string, ExportWriter>();
        // Reading (SQLite) and formatting overlap: a reader task fills a bounded channel that this loop drains, in
        // batches, so the two threads do not hand over (and wake each other) once per sample.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var batches = Channel.CreateBounded<List<ExportSample>>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        var reading = Task.Run(() => ReadBatchesAsync(options, plan.VersionId, batches.Writer, stop.Token), stop.Token);
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(ct))
            foreach (var sample in batch)
            {
                counts.Samples++;
                var (image, sampleProblem) = await ImageForAsync(images, sample, needBytes, allowedTypes, ct);
                var passed = new List<ExportPair>(sample.Pairs.Count);
                foreach (var pair in sample.Pairs)
                {
                    var reason = sampleProblem ?? LoaderRules.CheckPair(format, sample, pair, image);
                    if (reason is null) passed.Add(pair);
                    else Skip(counts, skipped, new SkippedRecord(pair.PairId, sample.SampleId, reason));
                }
                if (passed.Count == 0) continue;
                var split = SplitOf(sample.SampleId, options);
                if (!writers.TryGetValue(split, out var writer)) writers[split] = writer = ExportWriter.Create(format, folder, split);
                await writer.WriteAsync(sample, passed, image, ct);
                Count(counts, split, passed);
                if (counts.Samples % 256 == 0 && progress is not null) await progress(counts.Pairs + counts.Skipped);
            }
            foreach (var writer in writers.Values) await writer.CompleteAsync(ct);
        }
        finally
        {
            await stop.CancelAsync();
            await reading.ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var writer in writers.Values) await writer.DisposeAsync();
        }
        if (progress is not null) await progress(counts.Pairs + counts.Skipped);
        counts.Images = images.Count;
        var described = writers.Values.Select(w => w.Description).OfType<ManifestFile>().ToDictionary(f => f.Path);
        return await FinishAsync(plan, folder, writers.Values.Select(w => w.FileName).Order().ToList(), described, counts, skipped, ct);
    }

    private async Task ReadBatchesAsync(ExportOptions options, int? versionId, ChannelWriter<List<ExportSample>> batches, CancellationToken ct)
    {
        const int BatchSize = 256;
        try
        {
            var batch = new List<ExportSample>(BatchSize);
            await foreach (var sample in source.ReadAsync(options.DatasetId, versionId, options, ct))
            {
                batch.Add(sample);
                if (batch.Count < BatchSize) continue;
                await batches.WriteAsync(batch, ct);
                batch = new List<ExportSample>(BatchSize);
            }
            if (batch.Count > 0) await batches.WriteAsync(batch, ct);
            batches.Complete();
        }
        catch (Exception ex)
        {
            batches.Complete(ex);
        }
    }

    private static async ValueTask<(ExportedImage? Image, string? Problem)> ImageForAsync(ExportImages images, ExportSample sample, bool needBytes,
        IReadOnlySet<string>? allowedTypes, CancellationToken ct)
    {
        if (LoaderRules.CheckSample(sample) is { } problem) return (null, problem);
        if (sample.ImageHash is null) return (null, null);
        try
        {
            return (await images.GetAsync(sample.ImageHash, sample.ImagePath, needBytes, allowedTypes, ct), null);
        }
        catch (ExportSkipException ex)
        {
            return (null, ex.Message);
        }
    }

    private static async Task<ExportManifest> FinishAsync(ExportPlan plan, string folder, List<string> dataFiles, Dictionary<string, ManifestFile> described,
        ExportCounts counts, List<SkippedRecord> skipped, CancellationToken ct)
    {
        var format = plan.Options.Format;
        var infoName = "bpostudio_" + new string(plan.DatasetName.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        if (format == ExportFormat.LlamaFactory) await WriteDatasetInfoAsync(folder, infoName, dataFiles, ct);
        var manifest = new ExportManifest
        {
            Format = format.WireName(), FormatTitle = format.Title(), Dataset = plan.DatasetName, Draft = plan.Options.IsDraft, Version = plan.Version,
            Options = plan.Options, AppVersion = AppVersion, CreatedAt = DateTime.UtcNow, CreatedBy = plan.CreatedBy, Counts = counts,
            Skipped = skipped, SkippedListTruncated = counts.Skipped > skipped.Count, HowToLoad = ExportReadme.HowToLoad(format, infoName, dataFiles),
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "README.md"), ExportReadme.Render(manifest), ct);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
            manifest.Files.Add(described.GetValueOrDefault(file) ?? await ExportManifest.DescribeAsync(folder, file, ct));
        await using (var stream = new FileStream(Path.Combine(folder, ExportManifest.FileName), FileMode.CreateNew))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, ExportManifest.Json, ct);
            stream.Flush(flushToDisk: true);
        }
        return manifest;
    }

    private static async Task WriteDatasetInfoAsync(string folder, string infoName, List<string> dataFiles, CancellationToken ct)
    {
        var entries = dataFiles.ToDictionary(f => $"{infoName}_{Path.GetFileNameWithoutExtension(f)}", f => new
        {
            file_name = f,
            formatting = "sharegpt",
            ranking = true,
            columns = new { messages = "conversations", chosen = "chosen", rejected = "rejected", images = "images" },
        });
        await File.WriteAllTextAsync(Path.Combine(folder, "dataset_info.json"), JsonSerializer.Serialize(entries, new JsonSerializerOptions { WriteIndented = true }), ct);
    }

    private static void Skip(ExportCounts counts, List<SkippedRecord> skipped, SkippedRecord record)
    {
        counts.Skipped++;
        if (skipped.Count < ExportManifest.MaxSkippedListed) skipped.Add(record);
    }

    private static void Count(ExportCounts counts, string split, List<ExportPair> pairs)
    {
        counts.Pairs += pairs.Count;
        CollectionsMarshal.GetValueRefOrAddDefault(counts.PairsBySplit, split, out _) += pairs.Count;
        foreach (var pair in pairs)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(counts.ByRejectedKind, pair.Rejected.Kind.ToWire(), out _)++;
            CollectionsMarshal.GetValueRefOrAddDefault(counts.ByRejectedMethod, pair.Rejected.Method ?? "unknown", out _)++;
            if (pair.Chosen.Edited || pair.Rejected.Edited) counts.EditedTexts++;
        }
    }

    /// <summary>Deterministic per sample and seed, so a re-export puts every sample in the same split.</summary>
    public static string SplitOf(long sampleId, ExportOptions options)
    {
        if (options.ValidationFraction <= 0) return "train";
        var z = unchecked((ulong)sampleId * 0x9E3779B97F4A7C15UL ^ (ulong)options.Seed * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) < options.ValidationFraction ? "validation" : "train";
    }

    private static bool ReferencesImageFiles(ExportFormat format) => format is ExportFormat.Trl or ExportFormat.LlamaFactory or ExportFormat.Bpo;
}
