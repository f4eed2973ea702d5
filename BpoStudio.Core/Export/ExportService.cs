using System.Security.Claims;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

/// <summary>Starts exports as background jobs (leads only) and lists them with their manifests.</summary>
public sealed class ExportService(IDbContextFactory<BpoDbContext> dbFactory, ExportRunner runner, JobService jobs, AuditLog audit, DataPaths paths, TimeProvider clock)
{
    /// <summary>
    /// Queues an export as a job; the page, the CLI (which names its own <paramref name="folder"/> and runs the job at
    /// once) and any other host go through here, so every export is in the history and audited the same way.
    /// </summary>
    public async Task<ExportRecord> StartAsync(ExportOptions options, ClaimsPrincipal actor, CancellationToken ct = default, string? folder = null)
    {
        actor.RequireLead("export a dataset");
        options.Validate();
        // Only the server's own CLI names a folder: any other caller writes under the data folder's exports.
        if (folder is not null && !actor.IsCommandLine())
            throw new ForbiddenError("Only the command line on the server chooses where an export is written.");
        if (folder is not null && (Directory.Exists(folder) || File.Exists(folder)))
            throw new IOException($"{Path.GetFullPath(folder)} already exists; choose a new folder so no earlier export is overwritten.");
        var plan = await runner.PlanAsync(options, actor.DisplayName(), options.Zip, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var record = new ExportRecord
        {
            DatasetId = options.DatasetId, DatasetVersionId = plan.VersionId, IsDraft = plan.VersionId is null, Format = options.Format.WireName(),
            OptionsJson = JsonSerializer.Serialize(options), CreatedBy = actor.DisplayName(), CreatedAt = now,
        };
        db.Exports.Add(record);
        await db.SaveChangesAsync(ct);
        record.FolderPath = folder is not null ? Path.GetFullPath(folder) : Path.Combine(paths.Exports, Slug(plan.DatasetName),
            $"{now:yyyyMMdd-HHmmss}-{record.Format}-{(options.VersionNumber is { } n ? $"v{n}" : "draft")}-{record.Id}");
        await db.SaveChangesAsync(ct);

        var job = await jobs.CreateAsync(JobKind.Export, options.DatasetId, JsonSerializer.Serialize(new ExportJobParameters(record.Id)), actor, ct);
        record.JobId = job.Id;
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), ExportAudit.Start, $"{plan.DatasetName} {(options.VersionNumber is { } v ? $"v{v}" : "draft")}", record.OptionsJson, ct);
        return record.WithJob(job.Status, job.Error, job.FinishedAt);
    }

    /// <summary>Newest first, each with its dataset's name and version number (null for a draft).</summary>
    public async Task<IReadOnlyList<ExportHistoryEntry>> HistoryAsync(int? datasetId = null, int count = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var exports = db.Exports.AsNoTracking();
        if (datasetId is { } id) exports = exports.Where(e => e.DatasetId == id);
        var rows = await (
            from e in exports
            join d in db.Datasets on e.DatasetId equals d.Id into datasets
            from d in datasets.DefaultIfEmpty()
            join v in db.DatasetVersions on e.DatasetVersionId equals v.Id into versions
            from v in versions.DefaultIfEmpty()
            join j in db.Jobs on e.JobId equals j.Id into jobRows
            from j in jobRows.DefaultIfEmpty()
            orderby e.Id descending
            select new { e, Dataset = d == null ? null : d.Name, Version = v == null ? (int?)null : v.Number, Job = j == null ? (JobStatus?)null : j.Status, Error = j == null ? null : j.Error, Finished = j == null ? null : j.FinishedAt })
            .Take(count).ToListAsync(ct);
        return [.. rows.Select(r => new ExportHistoryEntry(r.e.WithJob(r.Job, r.Error, r.Finished), r.Dataset ?? $"dataset {r.e.DatasetId}", r.Version))];
    }

    /// <summary>Runs a failed or interrupted export again from the start, with the options it was asked with.</summary>
    public async Task RetryAsync(long exportId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("retry an export");
        var record = await GetAsync(exportId, ct) ?? throw new NotFoundError($"There is no export {exportId}.");
        if (record is not { Status: ExportStatus.Failed or ExportStatus.Interrupted, JobId: { } jobId })
            throw new ConflictError($"Export {exportId} is {record.Status.ToString().ToLowerInvariant()}; only a failed or interrupted export can be retried.");
        await jobs.ResumeAsync(jobId, actor, ct);
        await audit.WriteAsync(actor.DisplayName(), ExportAudit.Retry, $"export {exportId}", record.Error, ct);
    }

    public async Task<ExportRecord?> GetAsync(long exportId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await (from e in db.Exports.AsNoTracking()
                         where e.Id == exportId
                         join j in db.Jobs on e.JobId equals j.Id into jobRows
                         from j in jobRows.DefaultIfEmpty()
                         select new { e, Job = j == null ? (JobStatus?)null : j.Status, Error = j == null ? null : j.Error, Finished = j == null ? null : j.FinishedAt })
            .FirstOrDefaultAsync(ct);
        return row?.e.WithJob(row.Job, row.Error, row.Finished);
    }

    /// <summary>The zip of a completed export, checked to lie under the exports folder.</summary>
    public async Task<string?> ZipForDownloadAsync(long exportId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("download an export");
        var record = await GetAsync(exportId, ct);
        if (record is not { Status: ExportStatus.Completed, ZipPath: { } zip } || !File.Exists(zip)) return null;
        return Storage.SafePath.IsUnder(paths.Exports, zip) ? zip : null;
    }

    /// <summary>
    /// Removes a finished export's folder and zip (and anything a failed run left), keeping its record and manifest in
    /// the history. A queued or running export is refused: its job would write into the folder again.
    /// </summary>
    public async Task DeleteAsync(long exportId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("delete an export");
        var record = await GetAsync(exportId, ct) ?? throw new NotFoundError($"There is no export {exportId}.");
        if (record.Status is not (ExportStatus.Completed or ExportStatus.Failed or ExportStatus.Interrupted or ExportStatus.Cancelled))
            throw new ConflictError($"Export {exportId} is {record.Status.ToString().ToLowerInvariant()}; only a finished, failed, interrupted or cancelled export can be deleted.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var claimed = await db.Exports.Where(e => e.Id == exportId && e.DeletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.DeletedAt, clock.GetUtcNow().UtcDateTime).SetProperty(e => e.ZipPath, (string?)null), ct);
        if (claimed == 0) throw new ConflictError($"Export {exportId} changed meanwhile; look again before deleting it.");
        if (record is { Status: ExportStatus.Interrupted, JobId: { } jobId }) await CancelResumeAsync(jobId, actor, ct);
        await audit.WriteAsync(actor.DisplayName(), ExportAudit.Delete, $"export {exportId}", record.FolderPath, ct);
        if (record.FolderPath is not { } folder || !Storage.SafePath.IsUnder(paths.Exports, folder)) return;
        try
        {
            ExportRunner.DeleteIfPresent(folder, folder + ".zip", folder + ExportRunner.PartialSuffix, folder + ".zip" + ExportRunner.PartialSuffix);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Export {exportId} is marked deleted, but {folder} could not be removed entirely: {ex.Message}", ex);
        }
    }

    // An interrupted export's job is picked up again by the runner; a deleted export must not come back.
    private async Task CancelResumeAsync(long jobId, ClaimsPrincipal actor, CancellationToken ct)
    {
        try
        {
            await jobs.CancelAsync(jobId, actor, ct);
        }
        catch (InvalidOperationException)
        {
            // It finished meanwhile; the handler leaves a deleted export deleted and removes what it wrote.
        }
    }

    public static string Slug(string name)
    {
        var slug = new string(name.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        return slug.Length == 0 ? "dataset" : slug[..Math.Min(slug.Length, 64)];
    }
}

public sealed record ExportJobParameters(long ExportId);

/// <param name="VersionNumber">Null for a draft export.</param>
public sealed record ExportHistoryEntry(ExportRecord Export, string DatasetName, int? VersionNumber);
