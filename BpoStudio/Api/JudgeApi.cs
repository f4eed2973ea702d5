using System.Security.Claims;
using BpoStudio.Core.Judging;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BpoStudio.Api;

/// <param name="Template">A prompt template by name; null: the dataset's.</param>
public sealed record NewJudgeRun(int Samples = 1, long Seed = 1, bool DryRun = false, string? Template = null, JudgeMode Mode = JudgeMode.Pairwise);

public sealed record ScoreInfo(long PairId, string Scorer, string Template, double? PreferChosen, double? Confidence, bool OrdersDisagree, bool SawImage, int Unparsable, string? Rationale, DateTime CreatedAt);

/// <summary>Scores for programs: push a reward model's scores, read a pair's, run the judge, read its calibration.</summary>
public static class JudgeApi
{
    public static void MapJudgeApi(this RouteGroupBuilder api)
    {
        api.MapPost("/datasets/{id:int}/scores", PushAsync).WithName("PushScores").RequireAuthorization(ApiScopes.Write)
            .WithSummary("Stores scores a program gives pairs (scorer, preferChosen 0-1, confidence, rationale); a scorer's newest replaces its earlier one. A lead's token.");
        api.MapGet("/pairs/{pairId:long}/scores", OfPairAsync).WithName("GetPairScores")
            .WithSummary("Every scorer's score of a pair: the judge's (with its template) and pushed ones.");
        api.MapPost("/datasets/{id:int}/judge", RunAsync).WithName("RunJudge").RequireAuthorization(ApiScopes.Write)
            .WithSummary("Starts the judge over the pending pairs (both orders, samples per order) and answers with the job; dryRun prices it instead. A lead's token.");
        api.MapGet("/spot-checks/{checkId:long}/calibration", CalibrationAsync).WithName("GetJudgeCalibration").RequireAuthorization(ApiScopes.Lead)
            .WithSummary("The judge against people on a blind sample drawn by score band: agreement, kappa, reliability, ECE, each threshold's estimate and interval.");
    }

    private static async Task<Ok<object>> PushAsync(int id, List<PushedScore> body, ScoreService scores, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok((object)new { stored = await scores.PushAsync(id, body, user, ct) });

    private static async Task<Ok<IReadOnlyList<ScoreInfo>>> OfPairAsync(long pairId, ScoreService scores, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok((IReadOnlyList<ScoreInfo>)[.. (await scores.OfPairAsync(pairId, user, ct)).Select(s => new ScoreInfo(s.PairId, s.Scorer, s.Template, s.PreferChosen, s.Confidence, s.OrdersDisagree, s.SawImage, s.Unparsable, s.Rationale, s.CreatedAt))]);

    private static async Task<IResult> RunAsync(int id, NewJudgeRun body, JudgeJobs jobs, ClaimsPrincipal user, CancellationToken ct)
    {
        var parameters = new JudgeParameters(id, Samples: body.Samples, Seed: body.Seed, Template: body.Template, Mode: body.Mode);
        if (body.DryRun) return TypedResults.Ok(await jobs.DryRunAsync(parameters, user, ct));
        var job = await jobs.StartAsync(parameters, user, ct);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", new { jobId = job.Id });
    }

    private static async Task<Ok<CalibrationReport>> CalibrationAsync(long checkId, JudgeCalibration calibration, CancellationToken ct) =>
        TypedResults.Ok(await calibration.ReportAsync(checkId, ct));
}
