using System.Text.Json;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

/// <summary>Runs an export in the background. An interrupted export starts over on resume (its partial folder is discarded).</summary>
public sealed class ExportJobHandler(IDbContextFactory<BpoDbContext> dbFactory, ExportRunner runner, AuditLog audit) : IJobHandler
{
    public JobKind Kind => JobKind.Export;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = JsonSerializer.Deserialize<ExportJobParameters>(context.ParametersJson) ?? throw new InvalidDataException("The export job has no parameters.");
        var (record, plan) = await LoadAsync(parameters.ExportId, ct);
        await context.SetTotalAsync(plan.PairCount, ct);
        if (!await SetStatusAsync(record.Id, ExportStatus.Running, null, ct)) return; // deleted before it ran
        try
        {
            var result = await runner.RunAsync(plan, record.FolderPath!, done => context.ReportProgressAsync(done), ct);
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var stored = await db.Exports.Where(e => e.Id == record.Id && e.Status != ExportStatus.Deleted).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Status, ExportStatus.Completed)
                .SetProperty(e => e.ZipPath, result.ZipPath)
                .SetProperty(e => e.ManifestJson, JsonSerializer.Serialize(result.Manifest, ExportManifest.Json))
                .SetProperty(e => e.PairsWritten, result.Manifest.Counts.Pairs)
                .SetProperty(e => e.PairsSkipped, result.Manifest.Counts.Skipped)
                .SetProperty(e => e.FinishedAt, DateTime.UtcNow), CancellationToken.None);
            if (stored == 0)
            {
                ExportRunner.DeleteIfPresent(result.Folder, result.Folder + ".zip"); // a lead deleted it while it ran
                return;
            }
            await context.ReportProgressAsync(result.Manifest.Counts.Pairs + result.Manifest.Counts.Skipped, ct: CancellationToken.None);
            await audit.WriteAsync(record.CreatedBy, "export.complete", $"export {record.Id}",
                $"{result.Manifest.Counts.Pairs} pairs written, {result.Manifest.Counts.Skipped} skipped, {result.Folder}", CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            await SetStatusAsync(record.Id, ExportStatus.Interrupted, "stopped before it finished; nothing was moved into place", CancellationToken.None);
            throw;
        }
        catch (Exception ex)
        {
            await SetStatusAsync(record.Id, ExportStatus.Failed, ex.Message, CancellationToken.None);
            throw;
        }
    }

    private async Task<(ExportRecord Record, ExportPlan Plan)> LoadAsync(long exportId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = await db.Exports.AsNoTracking().FirstOrDefaultAsync(e => e.Id == exportId, ct) ?? throw new KeyNotFoundException($"There is no export {exportId}.");
        var options = JsonSerializer.Deserialize<ExportOptions>(record.OptionsJson) ?? throw new InvalidDataException($"Export {exportId} has no options.");
        return (record, await runner.PlanAsync(options, record.CreatedBy, options.Zip, ct));
    }

    /// <summary>False when a lead deleted the export: a deleted one stays deleted.</summary>
    private async Task<bool> SetStatusAsync(long exportId, ExportStatus status, string? error, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Exports.Where(e => e.Id == exportId && e.Status != ExportStatus.Deleted)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, status).SetProperty(e => e.Error, error), ct) > 0;
    }
}
