using System.Globalization;
using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;

namespace BpoStudio.Endpoints;

public static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/audit/export.csv", ExportCsvAsync).RequireAuthorization(Policies.Lead);
        return app;
    }

    private static async Task ExportCsvAsync(HttpContext http, AuditQueries log, ClaimsPrincipal user, string? kind, string? text, string? from, string? to)
    {
        var filter = new AuditFilter(
            Enum.TryParse<AuditKind>(kind, ignoreCase: true, out var k) ? k : AuditKind.All,
            http.Request.Query["user"].FirstOrDefault(), text, Date(from), Date(to));
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"bpostudio-audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await log.WriteCsvAsync(http.Response.Body, filter, user, http.RequestAborted);
    }

    private static DateTime? Date(string? text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value) ? value : null;
}
