using BpoStudio.Core;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BpoStudio.Api;

public static class PairApi
{
    public static void MapPairApi(this RouteGroupBuilder api)
    {
        api.MapGet("/datasets/{id:int}/pairs", PairsAsync).WithName("ListPairs")
            .WithSummary("Pairs in id order after a cursor, with the review queue's filters and a scorer's score band (scorer, scoreAtLeast, scoreBelow); include=findings,history,scores adds each pair's check findings, review events and scores.");
        api.MapGet("/datasets/{id:int}/events", EventsAsync).WithName("ListReviewEvents")
            .WithSummary("Review events (decisions, edits, undos, bulk actions) after a cursor: follow decisions as they are made.");
    }

    private static async Task<Ok<CursorPage<ListedPair>>> PairsAsync(int id, PairListing listing, string? status, string? kind, string? method, string? finding,
        string? search, string? source, string? scorer, double? scoreAtLeast, double? scoreBelow, long? after, string? include, CancellationToken ct, int limit = 100)
    {
        var includes = PairIncludes.None;
        foreach (var name in (include ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            includes |= name switch
            {
                "findings" => PairIncludes.Findings,
                "history" => PairIncludes.History,
                "scores" => PairIncludes.Scores,
                _ => throw new InvalidInputError($"include takes findings, history and scores, not '{name}'.", "include"),
            };
        var filter = new PairFilter(RejectedKind: kind is null ? null : ResponseKindNames.TryParse(kind, out var k) ? k : throw new InvalidInputError($"Unknown kind '{kind}'.", "kind"),
            Method: method, Search: search, Source: source, Finding: finding, Scorer: scorer, ScoreAtLeast: scoreAtLeast, ScoreBelow: scoreBelow,
            Status: status is null ? null : Enum.TryParse<PairStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s
                : throw new InvalidInputError($"status must be one of {string.Join(", ", Enum.GetNames<PairStatus>()).ToLowerInvariant()}, not '{status}'.", "status"));
        return TypedResults.Ok(await listing.PairsAsync(id, filter, after, limit, includes, ct));
    }

    private static async Task<Ok<CursorPage<ListedEvent>>> EventsAsync(int id, PairListing listing, long? after, CancellationToken ct, int limit = 100) =>
        TypedResults.Ok(await listing.EventsAsync(id, after, limit, ct));
}
