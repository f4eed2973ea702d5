using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Datasets;

/// <summary>Free-text search over a pair's prompt and both answers.</summary>
public static class PairSearch
{
    public static IQueryable<PreferencePair> Apply(BpoDbContext db, IQueryable<PreferencePair> query, string text)
    {
        var pattern = $"%{text}%";
        return query.Where(p => EF.Functions.Like(p.Sample!.Prompt, pattern)
            || EF.Functions.Like(p.ChosenResponse!.Text, pattern) || EF.Functions.Like(p.RejectedResponse!.Text, pattern));
    }
}
