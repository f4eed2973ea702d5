using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Review;

/// <summary>A pair filter's clause over Review's assignments: one annotator's share.</summary>
internal static class AssignmentFilter
{
    public static IQueryable<PreferencePair> AssignedTo(BpoDbContext db, IQueryable<PreferencePair> query, string userId) =>
        query.Where(p => db.PairAssignments.Any(a => a.PairId == p.Id && a.UserId == userId));
}
