using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Datasets;

/// <summary>
/// Which pairs of a dataset: the review queue, the triage table, bulk decisions and spot checks all take this one filter.
/// A null <see cref="Status"/> means the caller's default (the queue serves pending pairs; triage shows every status).
/// </summary>
public sealed record PairFilter(
    ResponseKind? RejectedKind = null,
    string? Method = null,
    string? Search = null,
    PairStatus? Status = null,
    string? Source = null,
    string? AssigneeId = null,
    string? Finding = null,
    bool NoBlocking = false,
    long? SpotCheckId = null,
    long? ExcludeSpotCheckId = null,
    MyDecisionFilter? MyDecision = null,
    string? Scorer = null,
    double? ScoreAtLeast = null,
    double? ScoreBelow = null,
    bool UncertainFirst = false)
{
    /// <summary>Words for the UI, the audit log and a bulk action's record.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Status is { } status) parts.Add($"status {status.ToString().ToLowerInvariant()}");
        if (RejectedKind is { } kind) parts.Add($"kind {kind.ToWire()}");
        if (!string.IsNullOrWhiteSpace(Method)) parts.Add($"method {Method}");
        if (!string.IsNullOrWhiteSpace(Finding)) parts.Add($"finding {Finding}");
        if (NoBlocking) parts.Add("no blocking finding");
        if (!string.IsNullOrWhiteSpace(Search)) parts.Add($"text \"{Search}\"");
        if (!string.IsNullOrWhiteSpace(Source)) parts.Add($"source {Source}");
        if (!string.IsNullOrWhiteSpace(AssigneeId)) parts.Add("one annotator's share");
        if (SpotCheckId is { } spot) parts.Add($"spot check {spot}");
        if (ExcludeSpotCheckId is { } outside) parts.Add($"outside spot check {outside}'s sample");
        if (!string.IsNullOrWhiteSpace(Scorer)) parts.Add($"scored by {Scorer}" + (ScoreAtLeast is { } low ? $" at or above {low:0.##}" : "") + (ScoreBelow is { } high ? $" below {high:0.##}" : ""));
        if (UncertainFirst && !string.IsNullOrWhiteSpace(Scorer)) parts.Add("most uncertain first");
        if (MyDecision is { } mine) parts.Add(mine == MyDecisionFilter.Any ? "my decisions" : $"my {mine.ToString().ToLowerInvariant()} decisions");
        return parts.Count == 0 ? "every pair" : string.Join(", ", parts);
    }
}

/// <summary>A reviewer browsing their own decisions: any, or one kind, whatever the pair's status is under overlap.</summary>
public enum MyDecisionFilter
{
    Any,
    Accepted,
    Rejected,
    Flagged,
}

/// <summary>
/// The one query behind every pair filter (queue, triage, bulk, spot checks). The clauses over other features' tables
/// are theirs: Triage's findings and spot checks, Review's assignments.
/// </summary>
public static class PairFilterQuery
{
    /// <summary>
    /// <see cref="Matching"/> for a page that counts or lists every match (the triage table, bulk actions, the API's
    /// listing): on PostgreSQL a search whose texts are fewer than <see cref="PairSearch.CommonMatches"/> is resolved
    /// to their ids first (see <see cref="PairSearch.ResolveOnPostgresAsync"/>), where its IN subqueries made the
    /// planner test every pair's texts: 0.5 s to count a rare word's one pair at 1M and 0.7 s for its first page.
    /// </summary>
    public static async Task<IQueryable<PreferencePair>> MatchingAsync(this BpoDbContext db, int datasetId, PairFilter? filter, PairStatus? defaultStatus, CancellationToken ct)
    {
        if (filter?.Search?.Trim() is { Length: > 0 } search
            && await PairSearch.ResolveOnPostgresAsync(db, datasetId, search, probePairs: 0, PairSearch.CommonMatches, ct) is { SampleIds: not null } resolved)
            return resolved.Apply(db.Matching(datasetId, filter with { Search = null }, defaultStatus));
        return db.Matching(datasetId, filter, defaultStatus);
    }

    /// <summary>The dataset's pairs that match; <paramref name="defaultStatus"/> applies when the filter names none.</summary>
    public static IQueryable<PreferencePair> Matching(this BpoDbContext db, int datasetId, PairFilter? filter, PairStatus? defaultStatus)
    {
        var status = filter?.Status ?? defaultStatus;
        var query = db.Pairs.Where(p => p.DatasetId == datasetId);
        if (status is { } s) query = query.Where(p => p.Status == s);
        if (filter is null) return query;
        if (!string.IsNullOrWhiteSpace(filter.Source)) query = query.Where(p => EF.Functions.Like(p.Sample!.Source.File, LikePattern.Containing(filter.Source.Trim()), LikePattern.Escape));
        if (!string.IsNullOrWhiteSpace(filter.AssigneeId)) query = Review.AssignmentFilter.AssignedTo(db, query, filter.AssigneeId);
        if (filter.RejectedKind is { } kind) query = query.Where(p => p.RejectedResponse!.Kind == kind);
        if (!string.IsNullOrWhiteSpace(filter.Method)) query = query.Where(p => p.RejectedResponse!.Provenance.Method == filter.Method.Trim());
        query = Triage.TriageFilter.Apply(db, query, filter); // findings and spot checks: Triage's tables
        query = Judging.ScoreFilter.Apply(db, query, filter); // scores: Judging's table
        if (!string.IsNullOrWhiteSpace(filter.Search)) query = PairSearch.Apply(db, query, filter.Search.Trim());
        return query;
    }
}
