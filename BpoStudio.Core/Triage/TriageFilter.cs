using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Triage;

/// <summary>A pair filter's clauses over Triage's own tables: findings and spot-check samples.</summary>
internal static class TriageFilter
{
    public static IQueryable<PreferencePair> Apply(BpoDbContext db, IQueryable<PreferencePair> query, PairFilter filter)
    {
        if (!string.IsNullOrWhiteSpace(filter.Finding))
        {
            var check = filter.Finding.Trim();
            query = query.Where(p => db.PairFindings.Any(f => f.PairId == p.Id && f.CheckId == check));
        }
        if (filter.NoBlocking) query = query.Where(p => !db.PairFindings.Any(f => f.PairId == p.Id && f.Severity == FindingSeverity.Block));
        if (filter.SpotCheckId is { } spot) query = query.Where(p => db.SpotCheckItems.Any(i => i.SpotCheckId == spot && i.PairId == p.Id));
        if (filter.ExcludeSpotCheckId is { } excluded) query = query.Where(p => !db.SpotCheckItems.Any(i => i.SpotCheckId == excluded && i.PairId == p.Id));
        return query;
    }
}
