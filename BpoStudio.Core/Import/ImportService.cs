using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Import;

/// <param name="AcceptSource">When the format carries decisions, accept its pairs as the source decided once the import ends (one bulk action).</param>
public sealed record ImportJobParameters(string FilePath, string DatasetName, string? ImageRoot, ImportFormat? Format, FieldMapping? Mapping, bool AcceptSource = false);

/// <summary>One import into a dataset: who, when, how it went, and whether it was rolled back since.</summary>
public sealed record ImportHistoryEntry(long JobId, string File, JobStatus Status, string? CreatedBy, DateTime CreatedAt, DateTime? FinishedAt, ImportSummary? Summary, bool RolledBack);

public sealed record ImportPreview(ImportFormat Format, IReadOnlyList<ImportedSample> Samples, IReadOnlyList<RecordProblem> Problems, IReadOnlyList<string?> ImageStatus);

/// <summary>
/// What the Import page does, with the checks that keep it safe: files come from an upload or from a server folder an
/// admin allowed (<see cref="ImportFolders"/>), image roots too, and nothing is read outside them.
/// </summary>
public sealed class ImportService(IDbContextFactory<BpoDbContext> dbFactory, ImportFolders folders, DataPaths paths, JobService jobs, AuditLog audit, TimeProvider clock)
{
    public const long MaxUploadBytes = 4L * 1024 * 1024 * 1024;
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public string UploadFolder => paths.Uploads;

    /// <summary>The admin-allowed server folders, then the upload folder.</summary>
    public Task<IReadOnlyList<string>> RootsAsync(ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("see the folders imports may read");
        return AllowedRootsAsync(ct);
    }

    private async Task<IReadOnlyList<string>> AllowedRootsAsync(CancellationToken ct) => [.. (await folders.AllAsync(ct)).Select(f => f.Path), paths.Uploads];

    /// <summary>A path below one of the allowed folders (or the folder itself), refused if the folder is no longer allowed or the path leaves it.</summary>
    public async Task<string> ResolveAsync(string root, string relativePath, CancellationToken ct = default)
    {
        if (!(await AllowedRootsAsync(ct)).Contains(root)) throw new ForbiddenError($"{root} is not (or no longer) a folder an admin allowed for imports.");
        if (string.IsNullOrWhiteSpace(relativePath) || relativePath is "." or "/") return root;
        return SafePath.TryResolve(root, relativePath, out var full, out var problem, "path") ? full : throw new InvalidInputError(problem!, relativePath);
    }

    /// <summary>Data files (JSON, JSONL, Parquet) under an allowed folder, a few levels deep, for picking one.</summary>
    public async Task<IReadOnlyList<string>> ListDataFilesAsync(string allowedFolder, ClaimsPrincipal actor, int limit = 500, CancellationToken ct = default)
    {
        actor.RequireLead("list server files for import");
        var root = await ResolveAsync(allowedFolder, "", ct);
        if (!Directory.Exists(root)) return [];
        var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        string[] extensions = [".json", ".jsonl", ".parquet"];
        return Directory.EnumerateFiles(root, "*", options).Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).Take(limit).ToList();
    }

    /// <summary>Streams an uploaded file into the upload folder under its own name (made safe), refusing oversize files.</summary>
    public async Task<string> SaveUploadAsync(Stream content, string fileName, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("upload data for import");
        var safeName = string.Concat(Path.GetFileName(fileName).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        if (safeName.Trim('.').Length == 0) safeName = "upload.jsonl";
        var folder = Path.Combine(paths.Uploads, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, safeName);
        try
        {
            await using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
            var buffer = new byte[1 << 20];
            long total = 0;
            int read;
            while ((read = await content.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
                if (total > MaxUploadBytes) throw new InvalidDataException($"{fileName} is larger than {MaxUploadBytes / (1L << 30)} GB; put it in an allowed server folder instead.");
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch
        {
            Directory.Delete(folder, recursive: true); // a refused or broken upload leaves nothing behind
            throw;
        }
        return target;
    }

    /// <summary>Unpacks an uploaded or allowed archive beside it; its data file and image folder are then used like any other.</summary>
    public async Task<UnpackedArchive> UnpackAsync(string archive, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("unpack an import archive");
        await RequireAllowedAsync(archive, "archive", actor, ct);
        var into = Path.Combine(Path.GetDirectoryName(archive)!, Path.GetFileName(archive) + ".unpacked");
        if (Directory.Exists(into)) Directory.Delete(into, recursive: true);
        try
        {
            return await ImportArchive.UnpackAsync(archive, into, ct);
        }
        catch
        {
            if (Directory.Exists(into)) Directory.Delete(into, recursive: true); // a refused archive leaves nothing half-written
            RemoveUpload(paths, archive); // nor, when it was uploaded, the archive itself
            throw;
        }
    }

    /// <summary>
    /// Removes an upload's own folder (the uploaded file, and what was unpacked from it) once nothing needs it: an archive
    /// refused, or an import that ended. Files outside the upload folder (allowed server folders) are never touched.
    /// </summary>
    internal static void RemoveUpload(DataPaths paths, string file)
    {
        var relative = Path.GetRelativePath(paths.Uploads, Path.GetFullPath(file));
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return;
        var first = relative.Split(Path.DirectorySeparatorChar)[0];
        var folder = Path.Combine(paths.Uploads, first);
        if (first != relative && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    public async Task<ImportPreview> PreviewAsync(string filePath, ImportFormat? format, FieldMapping? mapping, string? imageRoot, ClaimsPrincipal actor, int count = 5, CancellationToken ct = default)
    {
        actor.RequireLead("preview an import");
        await RequireAllowedAsync(filePath, "file", actor, ct);
        if (format == ImportFormat.Generic && mapping is null) throw new InvalidInputError("The generic format needs a field mapping (at least the prompt field).");
        var (isArray, detected) = await ImportReader.DetectAsync(filePath, format, ct);
        var samples = new List<ImportedSample>();
        var problems = new List<RecordProblem>();
        await foreach (var item in ImportReader.ReadAsync(filePath, isArray, detected, ct, mapping))
        {
            if (item.Problem is not null) problems.Add(item.Problem);
            samples.AddRange(item.Samples);
            if (samples.Count + problems.Count >= count) break;
        }
        return new ImportPreview(detected, samples, problems, samples.Select(s => ImageStatus(s, imageRoot)).ToList());
    }

    public async Task<Job> StartAsync(ImportJobParameters parameters, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("import data");
        await RequireAllowedAsync(parameters.FilePath, "file", actor, ct);
        if (parameters.ImageRoot is { } images) await RequireAllowedAsync(images, "image folder", actor, ct);
        if (string.IsNullOrWhiteSpace(parameters.DatasetName)) throw new InvalidInputError("Give the dataset a name.");
        if (parameters.Format == ImportFormat.Generic && parameters.Mapping is null) throw new InvalidInputError("The generic format needs a field mapping (at least the prompt field).");
        var (_, format) = await ImportReader.DetectAsync(parameters.FilePath, parameters.Format, ct); // refuse an unreadable file now, not in the background
        if (parameters.AcceptSource && !Triage.SourceDecisions.CarriesDecisions(format))
            throw new InvalidInputError($"{format} files carry no decisions to accept; import without \"accept as the source decided\".");
        // The job row names its dataset, made now if it is new: history, bulk actions and other writers query by it.
        var datasetId = await DatasetImporter.EnsureDatasetAsync(dbFactory, parameters.DatasetName, actor.DisplayName(), clock.GetUtcNow().UtcDateTime, ct);
        return await jobs.CreateAsync(JobKind.Import, datasetId, JsonSerializer.Serialize(parameters, Json), actor, ct, sourceFile: Path.GetFileName(parameters.FilePath));
    }

    public string SummaryPath(long jobId) => paths.ImportSummary(jobId);

    /// <summary>The imports into a dataset, newest first, with their summaries; the page lists them long after the Import page was left.</summary>
    public async Task<IReadOnlyList<ImportHistoryEntry>> HistoryAsync(int datasetId, ClaimsPrincipal actor, int count = 100, CancellationToken ct = default)
    {
        actor.RequireLead("see a dataset's imports");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, ct)) throw new NotFoundError($"There is no dataset {datasetId}.");
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.Kind == JobKind.Import && j.DatasetId == datasetId).OrderByDescending(j => j.Id).Take(count).ToListAsync(ct);
        var entries = new List<ImportHistoryEntry>();
        foreach (var job in jobs)
        {
            var summaryPath = paths.ImportSummary(job.Id);
            var summary = File.Exists(summaryPath) ? JsonSerializer.Deserialize<ImportSummary>(await File.ReadAllTextAsync(summaryPath, ct), Json) : null;
            entries.Add(new ImportHistoryEntry(job.Id, job.SourceFile ?? summary?.File ?? "", job.Status, job.CreatedBy, job.CreatedAt, job.FinishedAt, summary, job.RolledBackAt is not null));
        }
        return entries;
    }

    /// <summary>
    /// Removes what one source file brought into a dataset. Pairs already reviewed would lose their decisions, so that
    /// needs <paramref name="force"/>. Approved versions are snapshots and keep their copies.
    /// </summary>
    public async Task<int> RollbackAsync(string datasetName, string sourceFile, ClaimsPrincipal actor, bool force = false, CancellationToken ct = default)
    {
        actor.RequireLead("roll back an import");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetId = await db.Datasets.Where(d => d.Name == datasetName).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"There is no dataset '{datasetName}'.");
        var samples = db.Samples.Where(s => s.DatasetId == datasetId && s.Source.File == sourceFile);
        var reviewed = await db.Pairs.CountAsync(p => samples.Any(s => s.Id == p.SampleId) && p.Status != PairStatus.Pending, ct);
        if (reviewed > 0 && !force)
        {
            // Approved versions keep their own copies of texts and decisions: say so, since that is what a lead worries about.
            var versions = await db.DatasetVersions.Where(v => v.DatasetId == datasetId && v.Items.Any(i => samples.Any(s => s.Id == i.SampleId)))
                .OrderBy(v => v.Number).Select(v => v.Number).ToListAsync(ct);
            var inVersions = versions.Count == 0 ? "" : $" They are in approved version{(versions.Count == 1 ? "" : "s")} {string.Join(", ", versions)}, which keep{(versions.Count == 1 ? "s" : "")} {(versions.Count == 1 ? "its" : "their")} own copy and still export{(versions.Count == 1 ? "s" : "")} unchanged.";
            throw new ConflictError($"{reviewed} pairs from {sourceFile} were already reviewed; rolling back would discard those decisions.{inVersions} Confirm to roll back anyway, or cancel.");
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Pairs.Where(p => samples.Any(s => s.Id == p.SampleId)).ExecuteDeleteAsync(ct);
        await db.Responses.Where(r => samples.Any(s => s.Id == r.SampleId)).ExecuteDeleteAsync(ct);
        var removed = await samples.ExecuteDeleteAsync(ct);
        // Every import of this file that had finished is now undone; one still to run (or running) is not.
        var now = clock.GetUtcNow().UtcDateTime;
        var who = actor.DisplayName();
        await db.Jobs.Where(j => j.Kind == JobKind.Import && j.DatasetId == datasetId && j.SourceFile == sourceFile && j.RolledBackAt == null
                && j.Status != JobStatus.Queued && j.Status != JobStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.RolledBackAt, now).SetProperty(j => j.RolledBackBy, who), ct);
        await tx.CommitAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), ImportAudit.Rollback, $"{datasetName} / {sourceFile}", $"{removed} samples removed", ct);
        return removed;
    }

    private static string? ImageStatus(ImportedSample sample, string? imageRoot) =>
        sample.ImageBytes is not null ? "embedded in the record"
        : sample.ImagePath is null ? null
        : imageRoot is null ? $"'{sample.ImagePath}': no image folder chosen"
        : !SafePath.TryResolve(imageRoot, sample.ImagePath, out var full, out var problem) ? problem
        : File.Exists(full) ? "found" : $"'{sample.ImagePath}' does not exist under the image folder";

    // An allowed folder itself is allowed too (as the image folder, say), not only what lies below it.
    private async Task RequireAllowedAsync(string path, string what, ClaimsPrincipal actor, CancellationToken ct)
    {
        if (actor.IsCommandLine()) return; // the server's own CLI: whoever runs it has the disk already
        var full = Path.GetFullPath(path);
        if (!(await AllowedRootsAsync(ct)).Any(root => SafePath.IsUnder(root, full) || SafePath.RealPath(root) == SafePath.RealPath(full)))
            throw new ForbiddenError($"The {what} {path} is outside the folders an admin allowed for imports.");
    }
}
