using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Export;

namespace BpoStudio.Endpoints;

public static class ExportEndpoints
{
    public static IEndpointRouteBuilder MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/exports/{id:long}/download", DownloadAsync).RequireAuthorization(Policies.Lead);
        app.MapGet("/exports/{id:long}/manifest", ManifestAsync).RequireAuthorization(Policies.Lead);
        return app;
    }

    private static async Task<IResult> DownloadAsync(long id, ExportService exports, ClaimsPrincipal user, CancellationToken ct)
    {
        var zip = await exports.ZipForDownloadAsync(id, user, ct);
        return zip is null ? Results.NotFound($"Export {id} is not complete or its zip is gone.") : Results.File(zip, "application/zip", Path.GetFileName(zip), enableRangeProcessing: true);
    }

    private static async Task<IResult> ManifestAsync(long id, ExportService exports, CancellationToken ct) =>
        await exports.GetAsync(id, ct) is { ManifestJson: { } manifest } ? Results.Text(manifest, "application/json") : Results.NotFound();
}
