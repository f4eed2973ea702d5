using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Judging;

/// <summary>The pair filter's clauses over scores: pairs one scorer scored, within a band of its preference for the chosen answer.</summary>
public static class ScoreFilter
{
    public static IQueryable<PreferencePair> Apply(BpoDbContext db, IQueryable<PreferencePair> query, PairFilter filter)
    {
        if (string.IsNullOrWhiteSpace(filter.Scorer))
        {
            if (filter.ScoreAtLeast is not null || filter.ScoreBelow is not null) throw new InvalidInputError("A score band needs the scorer it is a band of.");
            return query;
        }
        var scorer = filter.Scorer.Trim();
        var (low, high) = (filter.ScoreAtLeast ?? -1, filter.ScoreBelow ?? 2); // scores lie in [0, 1]
        return filter.ScoreAtLeast is null && filter.ScoreBelow is null
            ? query.Where(p => db.PairScores.Any(s => s.PairId == p.Id && s.Scorer == scorer && s.PreferChosen != null))
            : query.Where(p => db.PairScores.Any(s => s.PairId == p.Id && s.Scorer == scorer && s.PreferChosen >= low && s.PreferChosen < high));
    }

    /// <summary>
    /// The order pairs are served and listed in: by id, or with <see cref="PairFilter.UncertainFirst"/> the scorer's
    /// closest to one half first (its least certain verdicts, where people help most), unscored pairs last.
    /// </summary>
    public static IOrderedQueryable<PreferencePair> InReviewOrder(this IQueryable<PreferencePair> query, BpoDbContext db, PairFilter? filter)
    {
        if (filter is not { UncertainFirst: true, Scorer: { Length: > 0 } scorer }) return query.OrderBy(p => p.Id);
        var name = scorer.Trim();
        return query.OrderBy(p => db.PairScores.Where(s => s.PairId == p.Id && s.Scorer == name && s.PreferChosen != null)
                .Select(s => (double?)(s.PreferChosen > 0.5 ? s.PreferChosen - 0.5 : 0.5 - s.PreferChosen)).Min() ?? 1.0)
            .ThenBy(p => p.Id);
    }
}
