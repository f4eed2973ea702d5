using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Review;

public sealed record AssignmentShare(string UserId, int Weight);

public sealed record AssigneeLoad(string? UserId, int Pending);

/// <summary>Leads split a dataset's pending pairs among annotators and set how many review each pair.</summary>
public sealed class AssignmentService(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit)
{
    public const int MaxOverlap = 10;

    /// <summary>Splits pending pairs by weight in id order (so a sample's negatives mostly stay with one person).</summary>
    public async Task<IReadOnlyDictionary<string, int>> AssignAsync(ClaimsPrincipal actor, int datasetId, IReadOnlyList<AssignmentShare> shares, bool reassignAssigned, CancellationToken ct = default)
    {
        actor.RequireLead("change assignments or overlap");
        var valid = shares.Where(s => s.Weight > 0).ToList();
        if (valid.Count == 0) throw new ArgumentException("Give at least one annotator a share above zero.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var candidates = db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending && (reassignAssigned || p.AssigneeId == null));
        var ids = await candidates.OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        var counts = SplitByWeight(ids.Count, valid.Select(s => s.Weight).ToList());

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var result = new Dictionary<string, int>();
        var start = 0;
        for (var i = 0; i < valid.Count; i++)
        {
            if (counts[i] == 0) continue;
            var (first, last) = (ids[start], ids[start + counts[i] - 1]);
            var userId = valid[i].UserId;
            await candidates.Where(p => p.Id >= first && p.Id <= last).ExecuteUpdateAsync(s => s.SetProperty(p => p.AssigneeId, userId), ct);
            result[userId] = counts[i];
            start += counts[i];
        }
        await tx.CommitAsync(ct);
        // The log names people as the lead knows them (their email), not by account id.
        var userIds = result.Keys.ToList();
        var emails = await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
        await audit.WriteAsync(actor.Identity?.Name, "review.assign", $"dataset {datasetId}",
            string.Join(", ", result.Select(r => $"{emails.GetValueOrDefault(r.Key, r.Key)}: {r.Value}")), ct);
        return result;
    }

    public async Task<int> ClearAsync(ClaimsPrincipal actor, int datasetId, CancellationToken ct = default)
    {
        actor.RequireLead("change assignments or overlap");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var cleared = await db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending && p.AssigneeId != null)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.AssigneeId, (string?)null), ct);
        await audit.WriteAsync(actor.Identity?.Name, "review.unassign", $"dataset {datasetId}", $"{cleared} pairs", ct);
        return cleared;
    }

    public async Task SetOverlapAsync(ClaimsPrincipal actor, int datasetId, int overlap, CancellationToken ct = default)
    {
        actor.RequireLead("change assignments or overlap");
        if (overlap is < 1 or > MaxOverlap) throw new ArgumentException($"Overlap must be between 1 and {MaxOverlap}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var updated = await db.Datasets.Where(d => d.Id == datasetId).ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, overlap), ct);
        if (updated == 0) throw new KeyNotFoundException($"There is no dataset {datasetId}.");
        await audit.WriteAsync(actor.Identity?.Name, "review.overlap", $"dataset {datasetId}", $"overlap {overlap}", ct);
    }

    public async Task<IReadOnlyList<AssigneeLoad>> PendingByAssigneeAsync(int datasetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending)
            .GroupBy(p => p.AssigneeId).Select(g => new AssigneeLoad(g.Key, g.Count())).ToListAsync(ct);
    }

    /// <summary>Largest-remainder split of <paramref name="total"/> items by weight; the counts always add up.</summary>
    public static int[] SplitByWeight(int total, IReadOnlyList<int> weights)
    {
        var sum = weights.Sum();
        var exact = weights.Select(w => (double)total * w / sum).ToArray();
        var counts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        foreach (var i in Enumerable.Range(0, weights.Count).OrderByDescending(i => exact[i] - counts[i]).Take(total - counts.Sum()))
            counts[i]++;
        return counts;
    }

}
