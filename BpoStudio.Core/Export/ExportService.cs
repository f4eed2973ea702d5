using System.Security.Claims;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

/// <summary>Starts exports as background jobs (leads only) and lists them with their manifests.</summary>
public sealed class ExportService(IDbContextFactory<BpoDbContext> dbFactory, ExportRunner runner, JobService jobs, AuditLog audit, DataPaths paths)
{
    public async Task<ExportRecord> StartAsync(ExportOptions options, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("export a dataset");
        options.Validate();
        var plan = await runner.PlanAsync(options, actor.DisplayName(), ct: ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = DateTime.UtcNow;
        var record = new ExportRecord
        {
            DatasetId = options.DatasetId, DatasetVersionId = plan.VersionId, IsDraft = plan.VersionId is null, Format = options.Format.WireName(),
            OptionsJson = JsonSerializer.Serialize(options), Status = ExportStatus.Queued, CreatedBy = actor.DisplayName(), CreatedAt = now,
        };
        db.Exports.Add(record);
        await db.SaveChangesAsync(ct);
        record.FolderPath = Path.Combine(paths.Exports, Slug(plan.DatasetName),
            $"{now:yyyyMMdd-HHmmss}-{record.Format}-{(options.VersionNumber is { } n ? $"v{n}" : "draft")}-{record.Id}");
        await db.SaveChangesAsync(ct);

        var job = await jobs.CreateAsync(JobKind.Export, options.DatasetId, JsonSerializer.Serialize(new ExportJobParameters(record.Id)), actor.DisplayName(), ct);
        record.JobId = job.Id;
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), "export.start", $"{plan.DatasetName} {(options.VersionNumber is { } v ? $"v{v}" : "draft")}", record.OptionsJson, ct);
        return record;
    }

    public async Task<IReadOnlyList<ExportRecord>> ListAsync(int? datasetId = null, int count = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Exports.AsNoTracking();
        if (datasetId is { } id) query = query.Where(e => e.DatasetId == id);
        return await query.OrderByDescending(e => e.Id).Take(count).ToListAsync(ct);
    }

    public async Task<ExportRecord?> GetAsync(long exportId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Exports.AsNoTracking().FirstOrDefaultAsync(e => e.Id == exportId, ct);
    }

    /// <summary>The zip of a completed export, checked to lie under the exports folder.</summary>
    public async Task<string?> ZipForDownloadAsync(long exportId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("download an export");
        var record = await GetAsync(exportId, ct);
        if (record is not { Status: ExportStatus.Completed, ZipPath: { } zip } || !File.Exists(zip)) return null;
        return Storage.SafePath.IsUnder(paths.Exports, zip) ? zip : null;
    }

    public static string Slug(string name)
    {
        var slug = new string(name.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        return slug.Length == 0 ? "dataset" : slug[..Math.Min(slug.Length, 64)];
    }
}

public sealed record ExportJobParameters(long ExportId);
