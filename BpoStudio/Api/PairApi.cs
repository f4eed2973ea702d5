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
            .WithSummary("Pairs in id order after a cursor, with the review queue's filters; include=findings,history adds each pair's check findings and review events.");
        api.MapGet("/datasets/{id:int}/events", EventsAsync).WithName("ListReviewEvents")
            .WithSummary("Review events (decisions, edits, undos, bulk actions) after a cursor: follow decisions as they are made.");
    }

    private static async Task<Ok<CursorPage<ListedPair>>> PairsAsync(int id, PairListing listing, string? status, string? kind, string? method, string? finding,
        string? search, string? source, long? after, string? include, CancellationToken ct, int limit = 100)
    {
        var includes = (include ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (includes.FirstOrDefault(i => i is not ("findings" or "history")) is { } unknown)
            throw new InvalidInputError($"include takes findings and history, not '{unknown}'.", "include");
        var filter = new PairFilter(RejectedKind: kind is null ? null : ResponseKindNames.TryParse(kind, out var k) ? k : throw new InvalidInputError($"Unknown kind '{kind}'.", "kind"),
            Method: method, Search: search, Source: source, Finding: finding,
            Status: status is null ? null : Enum.TryParse<PairStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s
                : throw new InvalidInputError($"status must be one of {string.Join(", ", Enum.GetNames<PairStatus>()).ToLowerInvariant()}, not '{status}'.", "status"));
        return TypedResults.Ok(await listing.PairsAsync(id, filter, after, limit, includes.Contains("findings"), includes.Contains("history"), ct));
    }

    private static async Task<Ok<CursorPage<ListedEvent>>> EventsAsync(int id, PairListing listing, long? after, CancellationToken ct, int limit = 100) =>
        TypedResults.Ok(await listing.EventsAsync(id, after, limit, ct));
}
