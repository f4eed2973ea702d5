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

public sealed record NewExport(string Format, int? Version);

public sealed record ExportInfo(long Id, int DatasetId, string Format, string Status, long? JobId, long PairsWritten, long PairsSkipped, string? Error,
    DateTime CreatedAt, DateTime? FinishedAt, string? Download);

public static class WorkflowApi
{
    public static void MapWorkflowApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/{id:long}", JobAsync).WithName("GetJob");
        api.MapGet("/datasets/{id:int}/versions", VersionsAsync).WithName("ListVersions");
        api.MapPost("/datasets/{id:int}/versions", ApproveAsync).WithName("ApproveVersion").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Approves the accepted pairs into a new immutable version.");
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
        var job = await jobs.GetAsync(id, ct) ?? throw new NotFoundError($"There is no job {id}.");
        return TypedResults.Ok(new JobInfo(job.Id, job.Kind.ToString(), job.DatasetId, job.Status.ToString(), job.ItemsTotal, job.ItemsDone, job.ItemsFailed, job.Error, job.CreatedAt, job.FinishedAt));
    }

    private static async Task<Ok<IReadOnlyList<VersionSummary>>> VersionsAsync(int id, ApprovalService approvals, CancellationToken ct) =>
        TypedResults.Ok(await approvals.ListAsync(id, ct));

    private static async Task<Ok<VersionSummary>> ApproveAsync(int id, NewVersion body, ApprovalService approvals, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await approvals.ApproveAsync(id, user, body.Notes, ct));

    private static async Task<Ok<BulkResult>> BulkAsync(int id, BulkRequest body, BulkActionService bulk, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await bulk.ApplyAsync(id, body, user, ct: ct));

    private static async Task<Ok<BulkUndoResult>> UndoBulkAsync(long bulkId, BulkActionService bulk, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await bulk.UndoAsync(bulkId, user, ct));

    private static async Task<Created<ExportInfo>> StartExportAsync(int id, NewExport body, ExportService exports, ClaimsPrincipal user, CancellationToken ct)
    {
        var format = ExportFormats.TryParse(body.Format, out var f) ? f : throw new InvalidInputError($"Unknown export format '{body.Format}'.", "format");
        var record = await exports.StartAsync(new ExportOptions(id, body.Version, format), user, ct);
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
