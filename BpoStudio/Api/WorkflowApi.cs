using System.Security.Claims;
using BpoStudio.Core;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Export;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Triage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BpoStudio.Api;

public sealed record JobInfo(long Id, string Kind, int? DatasetId, string Status, long ItemsTotal, long ItemsDone, long ItemsFailed, string? Error,
    DateTime CreatedAt, DateTime? FinishedAt);

public sealed record NewVersion(string? Notes);

public sealed record Deprecation(string Reason);

public sealed record NewGeneration(string Method, int Count = 1, int MaxEdits = 2, long Seed = 0, BpoStudio.Core.Bootstrapping.SampleFilter Filter = BpoStudio.Core.Bootstrapping.SampleFilter.All,
    IReadOnlyList<long>? SampleIds = null, int? WeakenImage = null);

/// <param name="Weights">A weight column from the error spans' severities (trl, parquet).</param>
/// <param name="Scorer">Score columns from this scorer's newest scores (trl, parquet).</param>
/// <param name="JudgeWeights">The weight also carries the scorer's belief in pairs no person decided.</param>
public sealed record NewExport(string Format, int? Version, bool Weights = false, string? Scorer = null, bool JudgeWeights = false);

public sealed record ExportInfo(long Id, int DatasetId, string Format, string Status, long? JobId, long PairsWritten, long PairsSkipped, string? Error,
    DateTime CreatedAt, DateTime? FinishedAt, string? Download);

public static class WorkflowApi
{
    public static void MapWorkflowApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/{id:long}", JobAsync).WithName("GetJob");
        api.MapPost("/datasets/{id:int}/generate", GenerateAsync).WithName("StartGeneration").RequireAuthorization(ApiScopes.Write)
            .WithSummary("Queues a generation job (a method from the Generate page's list, its count per sample, the samples) as the page does; follow it at /jobs/{id}.");
        api.MapPost("/datasets/{id:int}/checks", ChecksAsync).WithName("StartChecks").RequireAuthorization(ApiScopes.Write)
            .WithSummary("Queues the automatic pair checks over the dataset; follow the job at /jobs/{id}.");
        api.MapGet("/datasets/{id:int}/versions", VersionsAsync).WithName("ListVersions");
        api.MapPost("/datasets/{id:int}/versions", ApproveAsync).WithName("ApproveVersion").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Approves the accepted pairs into a new immutable version.");
        api.MapGet("/datasets/{id:int}/versions/compare", CompareAsync).WithName("CompareVersions")
            .WithSummary("What changed between two versions (by number): pairs added, removed, changed, with examples.");
        api.MapPost("/datasets/{id:int}/versions/{number:int}/deprecate", DeprecateAsync).WithName("DeprecateVersion").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Marks a version deprecated with a reason; exports of it are refused from then on.");
        api.MapPost("/datasets/{id:int}/bulk", BulkAsync).WithName("ApplyBulkAction").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Accepts, rejects, flags, assigns or unassigns every pair matching a filter, in one transaction; undo it by its id.");
        api.MapPost("/bulk/{bulkId:long}/undo", UndoBulkAsync).WithName("UndoBulkAction").RequireAuthorization(ApiScopes.Lead);
        api.MapPost("/datasets/{id:int}/exports", StartExportAsync).WithName("StartExport").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Starts an export job of a version (or a draft of the accepted pairs without one); follow it at /exports/{id}.");
        api.MapGet("/exports/{exportId:long}", ExportAsync).WithName("GetExport").RequireAuthorization(ApiScopes.Lead);
        api.MapGet("/exports/{exportId:long}/manifest", ManifestAsync).WithName("GetExportManifest").RequireAuthorization(ApiScopes.Lead);
        api.MapGet("/exports/{exportId:long}/download", DownloadAsync).WithName("DownloadExport").RequireAuthorization(ApiScopes.Lead)
            .Produces(StatusCodes.Status200OK, contentType: "application/zip");
    }

    private static async Task<Ok<JobInfo>> JobAsync(long id, JobService jobs, CancellationToken ct)
    {
        return TypedResults.Ok(Info(await jobs.GetAsync(id, ct) ?? throw new NotFoundError($"There is no job {id}.")));
    }

    private static async Task<Created<JobInfo>> GenerateAsync(int id, NewGeneration body, BpoStudio.Core.Bootstrapping.GenerationJobs generation, ClaimsPrincipal user, CancellationToken ct) =>
        Started(await generation.StartAsync(new BpoStudio.Core.Bootstrapping.GenerationParameters(id, body.Filter,
            [new BpoStudio.Core.Bootstrapping.GenerationMethod(body.Method, body.Count, body.MaxEdits)], body.Seed, body.SampleIds, body.WeakenImage), user, ct));

    private static async Task<Created<JobInfo>> ChecksAsync(int id, PairChecksJobs checks, ClaimsPrincipal user, CancellationToken ct) =>
        Started(await checks.StartAsync(id, user, ct));

    private static Created<JobInfo> Started(Job job) => TypedResults.Created($"/api/v1/jobs/{job.Id}", Info(job));

    private static JobInfo Info(Job job) =>
        new(job.Id, job.Kind.ToString(), job.DatasetId, job.Status.ToString(), job.ItemsTotal, job.ItemsDone, job.ItemsFailed, job.Error, job.CreatedAt, job.FinishedAt);

    private static async Task<Ok<IReadOnlyList<VersionSummary>>> VersionsAsync(int id, ApprovalService approvals, CancellationToken ct) =>
        TypedResults.Ok(await approvals.ListAsync(id, ct));

    private static async Task<Ok<VersionSummary>> ApproveAsync(int id, NewVersion body, ApprovalService approvals, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await approvals.ApproveAsync(id, user, body.Notes, ct));

    private static async Task<Ok<VersionDiff>> CompareAsync(int id, int from, int to, ApprovalService approvals, VersionComparer comparer, CancellationToken ct) =>
        TypedResults.Ok(await comparer.CompareAsync(await approvals.IdOfAsync(id, from, ct), await approvals.IdOfAsync(id, to, ct), ct: ct));

    private static async Task<NoContent> DeprecateAsync(int id, int number, Deprecation body, ApprovalService approvals, ClaimsPrincipal user, CancellationToken ct)
    {
        await approvals.DeprecateAsync(await approvals.IdOfAsync(id, number, ct), user, body.Reason, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<BulkResult>> BulkAsync(int id, BulkRequest body, BulkActionService bulk, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await bulk.ApplyAsync(id, body, user, ct: ct));

    private static async Task<Ok<BulkUndoResult>> UndoBulkAsync(long bulkId, BulkActionService bulk, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await bulk.UndoAsync(bulkId, user, ct));

    private static async Task<Created<ExportInfo>> StartExportAsync(int id, NewExport body, ExportService exports, ClaimsPrincipal user, CancellationToken ct)
    {
        var format = ExportFormats.TryParse(body.Format, out var f) ? f : throw new InvalidInputError($"Unknown export format '{body.Format}'.", "format");
        var record = await exports.StartAsync(new ExportOptions(id, body.Version, format, Weights: body.Weights, Scorer: body.Scorer, JudgeWeights: body.JudgeWeights), user, ct);
        return TypedResults.Created($"/api/v1/exports/{record.Id}", Info(record));
    }

    private static async Task<Ok<ExportInfo>> ExportAsync(long exportId, ExportService exports, CancellationToken ct) =>
        TypedResults.Ok(Info(await exports.GetAsync(exportId, ct) ?? throw new NotFoundError($"There is no export {exportId}.")));

    private static async Task<IResult> ManifestAsync(long exportId, ExportService exports, CancellationToken ct) =>
        await exports.GetAsync(exportId, ct) is { ManifestJson: { } manifest } ? Results.Text(manifest, "application/json")
            : throw new NotFoundError($"Export {exportId} has no manifest (yet).");

    private static async Task<IResult> DownloadAsync(long exportId, ExportService exports, ClaimsPrincipal user, CancellationToken ct) =>
        await exports.ZipForDownloadAsync(exportId, user, ct) is { } zip ? Results.File(zip, "application/zip", Path.GetFileName(zip), enableRangeProcessing: true)
            : throw new NotFoundError($"Export {exportId} is not complete, was made without a zip, or its zip is gone.");

    private static ExportInfo Info(ExportRecord e) => new(e.Id, e.DatasetId, e.Format, e.Status.ToString(), e.JobId, e.PairsWritten, e.PairsSkipped, e.Error,
        e.CreatedAt, e.FinishedAt, e.Status == ExportStatus.Completed && e.ZipPath is not null ? $"/api/v1/exports/{e.Id}/download" : null);
}
