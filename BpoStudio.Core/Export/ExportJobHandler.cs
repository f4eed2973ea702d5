using System.Text.Json;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

/// <summary>
/// Runs an export in the background and hangs its result (manifest, counts, zip) off the export; its status, error
/// and finish time are the job's. An interrupted export starts over on resume (its partial folder is discarded).
/// </summary>
public sealed class ExportJobHandler(IDbContextFactory<BpoDbContext> dbFactory, ExportRunner runner, AuditLog audit) : IJobHandler
{
    public JobKind Kind => JobKind.Export;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = JsonSerializer.Deserialize<ExportJobParameters>(context.ParametersJson) ?? throw new InvalidDataException("The export job has no parameters.");
        var (record, plan) = await LoadAsync(parameters.ExportId, ct);
        await context.SetTotalAsync(plan.PairCount, ct);
        if (record.DeletedAt is not null) return; // deleted before it ran
        var result = await runner.RunAsync(plan, record.FolderPath!, done => context.ReportProgressAsync(done), ct);
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var stored = await db.Exports.Where(e => e.Id == record.Id && e.DeletedAt == null).ExecuteUpdateAsync(s => s
            .SetProperty(e => e.ZipPath, result.ZipPath)
            .SetProperty(e => e.ManifestJson, JsonSerializer.Serialize(result.Manifest, ExportManifest.Json))
            .SetProperty(e => e.PairsWritten, result.Manifest.Counts.Pairs)
            .SetProperty(e => e.PairsSkipped, result.Manifest.Counts.Skipped), CancellationToken.None);
        if (stored == 0)
        {
            ExportRunner.DeleteIfPresent(result.Folder, result.Folder + ".zip"); // a lead deleted it while it ran
            return;
        }
        await context.ReportProgressAsync(result.Manifest.Counts.Pairs + result.Manifest.Counts.Skipped, ct: CancellationToken.None);
        await audit.WriteAsync(record.CreatedBy, ExportAudit.Complete, $"export {record.Id}",
            $"{result.Manifest.Counts.Pairs} pairs written, {result.Manifest.Counts.Skipped} skipped, {result.Folder}", CancellationToken.None);
    }

    private async Task<(ExportRecord Record, ExportPlan Plan)> LoadAsync(long exportId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = await db.Exports.AsNoTracking().FirstOrDefaultAsync(e => e.Id == exportId, ct) ?? throw new NotFoundError($"There is no export {exportId}.");
        var options = JsonSerializer.Deserialize<ExportOptions>(record.OptionsJson) ?? throw new InvalidDataException($"Export {exportId} has no options.");
        return (record, await runner.PlanAsync(options, record.CreatedBy, options.Zip, ct));
    }
}
