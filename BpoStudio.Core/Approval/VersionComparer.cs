using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Approval;

public sealed record VersionItemChange(long PairId, string Prompt, string? ChosenBefore, string? ChosenAfter, string? RejectedBefore, string? RejectedAfter);

public sealed record VersionDiff(int FromNumber, int ToNumber, int Added, int Removed, int Changed, int Unchanged,
    IReadOnlyList<VersionItemChange> AddedItems, IReadOnlyList<VersionItemChange> RemovedItems, IReadOnlyList<VersionItemChange> ChangedItems);

/// <summary>Pairs added, removed and changed between two versions of one dataset, matched by pair id; counted in SQL.</summary>
public sealed class VersionComparer(IDbContextFactory<BpoDbContext> dbFactory)
{
    public async Task<VersionDiff> CompareAsync(int fromVersionId, int toVersionId, int examples = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versions = await db.DatasetVersions.AsNoTracking().Where(v => v.Id == fromVersionId || v.Id == toVersionId).ToListAsync(ct);
        var from = versions.FirstOrDefault(v => v.Id == fromVersionId) ?? throw new NotFoundError($"There is no version {fromVersionId}.");
        var to = versions.FirstOrDefault(v => v.Id == toVersionId) ?? throw new NotFoundError($"There is no version {toVersionId}.");
        if (from.DatasetId != to.DatasetId) throw new ConflictError("Only versions of the same dataset can be compared.");

        var a = db.DatasetVersionItems.AsNoTracking().Where(i => i.DatasetVersionId == fromVersionId);
        var b = db.DatasetVersionItems.AsNoTracking().Where(i => i.DatasetVersionId == toVersionId);
        var added = b.Where(i => !a.Any(o => o.PairId == i.PairId));
        var removed = a.Where(i => !b.Any(o => o.PairId == i.PairId));
        var matched = from x in a join y in b on x.PairId equals y.PairId select new { Before = x, After = y };
        var changed = matched.Where(m => m.Before.ChosenText != m.After.ChosenText || m.Before.RejectedText != m.After.RejectedText
            || m.Before.ChosenKind != m.After.ChosenKind || m.Before.RejectedKind != m.After.RejectedKind || m.Before.Prompt != m.After.Prompt);

        var changedCount = await changed.CountAsync(ct);
        return new VersionDiff(from.Number, to.Number,
            await added.CountAsync(ct), await removed.CountAsync(ct), changedCount, await matched.CountAsync(ct) - changedCount,
            await added.OrderBy(i => i.PairId).Take(examples).Select(i => new VersionItemChange(i.PairId, i.Prompt, null, i.ChosenText, null, i.RejectedText)).ToListAsync(ct),
            await removed.OrderBy(i => i.PairId).Take(examples).Select(i => new VersionItemChange(i.PairId, i.Prompt, i.ChosenText, null, i.RejectedText, null)).ToListAsync(ct),
            await changed.OrderBy(m => m.Before.PairId).Take(examples)
                .Select(m => new VersionItemChange(m.Before.PairId, m.After.Prompt, m.Before.ChosenText, m.After.ChosenText, m.Before.RejectedText, m.After.RejectedText)).ToListAsync(ct));
    }
}
