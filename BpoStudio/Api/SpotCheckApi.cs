using System.Security.Claims;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BpoStudio.Api;

public sealed record NewSpotCheck(PairFilter? Filter, int SampleSize, long? Seed, bool Stratified = true, double Threshold = 0.9, double Margin = 0.05);

public sealed record SpotCheckInfo(long Id, int DatasetId, string Filter, int SampleSize, long Seed, bool Stratified, double Threshold, double Margin, IReadOnlyList<StratumInfo> Strata);

public sealed record StratumInfo(string Stratum, string Label, int Sampled, int Reviewed, int Accepted, double? Rate, double Low, double High,
    int NeededForMargin, int Remaining, bool MeetsThreshold, long? AcceptedByBulkId);

/// <summary>Sampled acceptance for programs: draw a seeded sample, follow its strata's figures, accept the rest of a stratum.</summary>
public static class SpotCheckApi
{
    public static void MapSpotCheckApi(this RouteGroupBuilder api)
    {
        api.MapPost("/datasets/{id:int}/spot-checks", DrawAsync).WithName("DrawSpotCheck").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Draws a seeded (by default stratified) sample of a filter's undecided pairs; annotators meet it first in the queue.");
        api.MapGet("/spot-checks/{checkId:long}", ReportAsync).WithName("GetSpotCheck").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Each stratum's sampled, reviewed and accepted pairs, the Wilson interval and whether it meets the threshold.");
        api.MapPost("/spot-checks/{checkId:long}/accept-rest", AcceptRestAsync).WithName("AcceptRestOfStratum").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("Accepts a stratum's pending pairs outside the sample as one bulk action carrying the sample's figures.");
    }

    private static async Task<Created<SpotCheckInfo>> DrawAsync(int id, NewSpotCheck body, SpotCheckService spotChecks, ClaimsPrincipal user, CancellationToken ct)
    {
        var check = await spotChecks.DrawAsync(id, new SpotCheckRequest(body.Filter ?? new PairFilter(), body.SampleSize, body.Seed ?? Random.Shared.NextInt64(1, int.MaxValue),
            body.Stratified, body.Threshold, body.Margin), user, ct);
        return TypedResults.Created($"/api/v1/spot-checks/{check.Id}", Info(await spotChecks.ReportAsync(check.Id, ct)));
    }

    private static async Task<Ok<SpotCheckInfo>> ReportAsync(long checkId, SpotCheckService spotChecks, CancellationToken ct) =>
        TypedResults.Ok(Info(await spotChecks.ReportAsync(checkId, ct)));

    private static async Task<Ok<BulkResult>> AcceptRestAsync(long checkId, string stratum, SpotCheckService spotChecks, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await spotChecks.AcceptRestAsync(checkId, stratum, user, ct));

    internal static SpotCheckInfo Info(SpotCheckReport report) => new(report.Check.Id, report.Check.DatasetId, report.Check.FilterText, report.Check.SampleSize,
        report.Check.Seed, report.Check.Stratified, report.Check.Threshold, report.Check.Margin,
        [.. report.Strata.Select(s => new StratumInfo(s.Stratum, s.Label, s.Sampled, s.Reviewed, s.Accepted, s.Rate, s.Low, s.High, s.NeededForMargin, s.Remaining, s.MeetsThreshold, s.AcceptedByBulkId))]);
}
