using System.IO.Compression;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using System.Text.Json;
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
public sealed class ExportRunner(ExportSource source, ImageStore store, IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    public const string PartialSuffix = ".partial";
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    public static readonly string AppVersion = typeof(ExportRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "dev";

    /// <summary>Resolves the dataset and the approved version the options name; refuses a deprecated version.</summary>
    public async Task<ExportPlan> PlanAsync(ExportOptions options, string? createdBy, bool makeZip = true, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await db.Datasets.Where(d => d.Id == options.DatasetId).Select(d => d.Name).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"There is no dataset {options.DatasetId}.");
        if (options.RatingAspect is { } aspect && aspect != ExportOptions.MeanAspect)
        {
            // An unknown aspect would rank every negative as unrated, which silently means "first come".
            var aspects = await db.RatingAspects.Where(a => a.DatasetId == options.DatasetId).OrderBy(a => a.Id).Select(a => a.Name).ToListAsync(ct);
            if (!aspects.Contains(aspect))
                throw new InvalidInputError($"'{dataset}' has no rating aspect '{aspect}'; use {string.Join(", ", aspects.Select(a => $"'{a}'").Append($"'{ExportOptions.MeanAspect}'"))}.");
        }
        if (options.VersionNumber is not { } number)
        {
            var accepted = await db.Pairs.CountAsync(p => p.DatasetId == options.DatasetId && p.Status == PairStatus.Accepted, ct);
            if (accepted == 0) throw new ConflictError($"'{dataset}' has no accepted pairs to export yet.");
            return new ExportPlan(options, dataset, null, null, createdBy, makeZip, accepted);
        }
        var version = await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.DatasetId == options.DatasetId && v.Number == number, ct)
            ?? throw new NotFoundError($"'{dataset}' has no version {number}.");
        if (version.Deprecated) throw new ConflictError($"Version {number} of '{dataset}' is deprecated ({version.DeprecationReason}); export a current version.");
        return new ExportPlan(options, dataset, version.Id, new ManifestVersion(version.Number, version.ContentHash, version.ApprovedBy, DateTime.SpecifyKind(version.ApprovedAt, DateTimeKind.Utc)) /* stored as UTC; SQLite hands it back without its kind */, createdBy, makeZip, version.PairCount);
    }

    public async Task<ExportResult> RunAsync(ExportPlan plan, string target, Func<long, Task>? progress = null, CancellationToken ct = default)
    {
        var options = plan.Options;
        options.Validate();
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) || File.Exists(target)) throw new IOException($"{target} already exists; choose a new folder so no earlier export is overwritten.");
        var partial = target + PartialSuffix;
        var zipPartial = target + ".zip" + PartialSuffix;
        DeleteIfPresent(partial, zipPartial);
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
            DeleteIfPresent(partial, zipPartial);
            throw;
        }
    }

    /// <summary>Removes each of these folders or files that exists: what an export killed mid-way left behind, or a deleted export.</summary>
    public static void DeleteIfPresent(params string[] paths)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    private async Task<RatingScheme> RatingSchemeAsync(ExportOptions options, CancellationToken ct)
    {
        if (!options.Format.Describe().NeedsFeedback) return RatingScheme.None;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await RatingScheme.LoadAsync(db, options.DatasetId, ct);
    }

    private async Task<ExportManifest> WriteAsync(ExportPlan plan, string folder, Func<long, Task>? progress, CancellationToken ct)
    {
        var options = plan.Options;
        var images = new ExportImages(store, folder, options with { CopyImages = options.CopyImages && ReferencesImageFiles(options.Format) });
        var (chunks, parallelism) = await source.ChunksAsync(options.DatasetId, plan.PairCount, ct);
        var exporter = new ChunkExporter(source, images, options, plan.VersionId, chunks.Count, await RatingSchemeAsync(options, ct));
        var counts = new ExportCounts();
        var skipped = new List<SkippedRecord>();
        var writers = new Dictionary<string, ExportWriter>();
        // Workers read and format the chunks ahead, in parallel; this loop only hashes and appends their parts, in
        // chunk order, so the files are the same whatever the number of cores.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var (outputs, workers) = exporter.Start(chunks, parallelism, stop.Token);
        var reported = Stopwatch.GetTimestamp();
        try
        {
            for (var index = 0; index < chunks.Count; index++)
            {
                var output = outputs[index % outputs.Length];
                ChunkOutput item;
                while ((item = await NextAsync(output, ct)).Done is null)
                    using (item.Part)
                    {
                        if (!writers.TryGetValue(item.Split, out var writer)) writers[item.Split] = writer = ExportWriter.Create(options.Format, folder, item.Split);
                        await writer.AppendAsync(item.Part!, ct);
                    }
                counts.Merge(item.Done.Counts, skipped, item.Done.Skipped);
                // A progress report is a database write: a few a second are plenty for a progress bar.
                if (progress is not null && (index == 0 || Stopwatch.GetElapsedTime(reported) > ProgressInterval))
                {
                    await progress(counts.Pairs + counts.Skipped);
                    reported = Stopwatch.GetTimestamp();
                }
            }
            foreach (var writer in writers.Values) await writer.CompleteAsync(ct);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers); // they complete their outputs instead of throwing; none may still copy images after this
            foreach (var writer in writers.Values) await writer.DisposeAsync();
        }
        if (progress is not null) await progress(counts.Pairs + counts.Skipped);
        counts.Images = images.Count;
        var described = writers.Values.Select(w => w.Description).OfType<ManifestFile>().ToDictionary(f => f.Path);
        return await FinishAsync(plan, folder, writers.Values.Select(w => w.FileName).Order().ToList(), described, counts, skipped, ct);
    }

    private async Task<ExportManifest> FinishAsync(ExportPlan plan, string folder, List<string> dataFiles, Dictionary<string, ManifestFile> described,
        ExportCounts counts, List<SkippedRecord> skipped, CancellationToken ct)
    {
        var format = plan.Options.Format;
        var infoName = "bpostudio_" + new string(plan.DatasetName.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        await format.Describe().WriteExtraFilesAsync(folder, infoName, dataFiles, ct);
        counts.Scorer = plan.Options.Scorer;
        var manifest = new ExportManifest
        {
            Format = format.WireName(), FormatTitle = format.Title(), Dataset = plan.DatasetName, Draft = plan.Options.IsDraft, Version = plan.Version,
            Options = plan.Options, AppVersion = AppVersion, CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = plan.CreatedBy, Counts = counts,
            Skipped = skipped, SkippedListTruncated = counts.Skipped > skipped.Count, HowToLoad = format.Describe().HowToLoad(infoName, dataFiles),
            Warnings = Warnings(plan.Options, counts),
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "README.md"), ExportReadme.Render(manifest, format.Describe()), ct);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
            manifest.Files.Add(described.GetValueOrDefault(file) ?? await ExportManifest.DescribeAsync(folder, file, ct));
        await using (var stream = new FileStream(Path.Combine(folder, ExportManifest.FileName), FileMode.CreateNew))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, ExportManifest.Json, ct);
            stream.Flush(flushToDisk: true);
        }
        return manifest;
    }

    private static List<string> Warnings(ExportOptions options, ExportCounts counts) =>
        options.ValidationFraction > 0 && counts.PairsBySplit.GetValueOrDefault("validation") == 0
            ? [$"a validation share of {options.ValidationFraction:0.###} of {counts.Samples:N0} samples put none in validation, so there is no validation file; raise the share or export more samples"]
            : [];

    /// <summary>The next output of a worker; a worker's failure surfaces as itself, not as a closed channel.</summary>
    private static async ValueTask<ChunkOutput> NextAsync(ChannelReader<ChunkOutput> output, CancellationToken ct)
    {
        try
        {
            return await output.ReadAsync(ct);
        }
        catch (ChannelClosedException closed) when (closed.InnerException is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
            throw;
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

    internal static bool ReferencesImageFiles(ExportFormat format) => format.Describe().ReferencesImageFiles;
}
