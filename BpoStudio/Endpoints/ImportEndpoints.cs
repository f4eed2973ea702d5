using BpoStudio.Core.Accounts;
using BpoStudio.Core.Import;

namespace BpoStudio.Endpoints;

public static class ImportEndpoints
{
    public static IEndpointRouteBuilder MapImportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/imports/{jobId:long}/summary.json", (long jobId, ImportService imports) =>
            File.Exists(imports.SummaryPath(jobId))
                ? Results.File(imports.SummaryPath(jobId), "application/json", $"import-{jobId}-summary.json")
                : Results.NotFound($"Import job {jobId} has no summary (yet).")).RequireAuthorization(Policies.Lead);
        return app;
    }
}
