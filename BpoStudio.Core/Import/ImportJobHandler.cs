using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Import;

/// <summary>
/// Runs an import in the background. Progress counts records; the total is estimated from how far into the file the
/// reader is. Resuming re-reads the file and skips what is already stored (whole batches only were committed).
/// </summary>
public sealed class ImportJobHandler(DatasetImporter importer, DataPaths paths, IDbContextFactory<BpoDbContext> dbFactory) : IJobHandler
{
    private const int FailuresListed = 1000;

    public JobKind Kind => JobKind.Import;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = JsonSerializer.Deserialize<ImportJobParameters>(context.ParametersJson, ImportService.Json)
            ?? throw new InvalidDataException("The import job has no parameters.");
        var request = new ImportRequest(parameters.FilePath, parameters.DatasetName, parameters.ImageRoot, parameters.Format, null, parameters.Mapping);
        var progress = new JobProgress(context);
        var summary = await importer.ImportAsync(request, progress, ct);
        await progress.ReportFinalAsync(summary);
        await File.WriteAllTextAsync(paths.ImportSummary(context.JobId), JsonSerializer.Serialize(summary, ImportService.Json), CancellationToken.None);

        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        foreach (var problem in summary.Rejected.Take(FailuresListed)) context.RecordFailure(db, problem.Where, problem.Reason);
        await db.SaveChangesAsync(CancellationToken.None);
        await context.AddProgressAsync(db, summary.Records, 0, summary.Rejected.Count, CancellationToken.None);
    }

    // Reports arrive once per committed batch, on the importer's own flow, so they can write synchronously.
    private sealed class JobProgress(JobContext context) : IProgress<ImportSummary>
    {
        public void Report(ImportSummary value) => ReportFinalAsync(value).GetAwaiter().GetResult();

        public async Task ReportFinalAsync(ImportSummary value)
        {
            var estimate = value.BytesRead <= 0 ? value.Records : (long)Math.Ceiling(value.Records * (double)value.FileBytes / value.BytesRead);
            await context.SetTotalAsync(Math.Max(estimate, value.Records), CancellationToken.None);
            await context.ReportProgressAsync(value.Records, CancellationToken.None);
        }
    }
}
