using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Import;

/// <summary>
/// Runs an import in the background. Progress counts records; the total is estimated from how far into the file the
/// reader is. Resuming re-reads the file and skips what is already stored (whole batches only were committed).
/// </summary>
public sealed class ImportJobHandler(DatasetImporter importer, DataPaths paths, IDbContextFactory<BpoDbContext> dbFactory, Triage.SourceDecisions sourceDecisions) : IJobHandler
{
    private const int FailuresListed = 1000;

    public JobKind Kind => JobKind.Import;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = JsonSerializer.Deserialize<ImportJobParameters>(context.ParametersJson, ImportService.Json)
            ?? throw new InvalidDataException("The import job has no parameters.");
        var request = new ImportRequest(parameters.FilePath, parameters.DatasetName, parameters.ImageRoot, parameters.Format, null, parameters.Mapping);
        // Once per committed batch (and after the last): records done, the total estimated from the bytes read so far.
        var summary = await importer.ImportAsync(request, batch => context.ReportProgressAsync(batch.Records, Estimate(batch), batch.Rejected.Count), ct);
        await File.WriteAllTextAsync(paths.ImportSummary(context.JobId), JsonSerializer.Serialize(summary, ImportService.Json), CancellationToken.None);
        // An uploaded file (and what was unpacked from it) is kept only while the job can resume: it has ended.
        ImportService.RemoveUpload(paths, parameters.FilePath);

        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        foreach (var problem in summary.Rejected.Take(FailuresListed)) context.RecordFailure(db, problem.Where, problem.Reason);
        await db.SaveChangesAsync(CancellationToken.None);
        // The lead who started the job chose this when starting it (the import service checked their role then).
        if (parameters.AcceptSource && summary.Imported > 0)
            await sourceDecisions.AcceptAsync(parameters.DatasetName, summary.File, summary.Format, Accounts.ActorChecks.OnBehalfOf(context.CreatedBy, Accounts.Roles.Lead), context.JobId, ct);
    }

    private static long Estimate(ImportSummary progress) =>
        progress.BytesRead <= 0 ? progress.Records : Math.Max(progress.Records, (long)Math.Ceiling(progress.Records * (double)progress.FileBytes / progress.BytesRead));
}
