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
}
