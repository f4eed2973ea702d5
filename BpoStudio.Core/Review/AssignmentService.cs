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

    /// <summary>
    /// Gives each pending pair to as many different annotators as the dataset's overlap asks (or as there are), sharing
    /// the work by weight. Each person's share is a run of consecutive pairs, so a sample's negatives mostly stay together.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> AssignAsync(ClaimsPrincipal actor, int datasetId, IReadOnlyList<AssignmentShare> shares, bool reassignAssigned, CancellationToken ct = default)
    {
        actor.RequireLead("change assignments or overlap");
        var valid = shares.Where(s => s.Weight > 0).DistinctBy(s => s.UserId).ToList();
        if (valid.Count == 0) throw new InvalidInputError("Give at least one annotator a share above zero.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var overlap = await db.Datasets.Where(d => d.Id == datasetId).Select(d => (int?)d.Overlap).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"There is no dataset {datasetId}.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var pending = db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending);
        if (reassignAssigned)
            await db.PairAssignments.Where(a => a.DatasetId == datasetId && pending.Any(p => p.Id == a.PairId)).ExecuteDeleteAsync(ct);
        var ids = await pending.Where(p => !db.PairAssignments.Any(a => a.PairId == p.Id)).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        var counts = ShareOut(ids.Count, Math.Min(overlap, valid.Count), valid.Select(s => s.Weight).ToList());

        var result = new Dictionary<string, int>();
        var slot = 0;
        for (var i = 0; i < valid.Count; i++)
        {
            if (counts[i] == 0) continue;
            // Slots wrap around the pair list (slot s is pair s mod n); a share of at most n slots never repeats a pair.
            db.PairAssignments.AddRange(Enumerable.Range(slot, counts[i]).Select(s => new PairAssignment { PairId = ids[s % ids.Count], UserId = valid[i].UserId, DatasetId = datasetId }));
            result[valid[i].UserId] = counts[i];
            slot += counts[i];
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        // The log names people as the lead knows them (their email), not by account id.
        var userIds = result.Keys.ToList();
        var emails = await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
        await audit.WriteAsync(actor.Identity?.Name, ReviewAudit.Assign, $"dataset {datasetId}",
            string.Join(", ", result.Select(r => $"{emails.GetValueOrDefault(r.Key, r.Key)}: {r.Value}")) + (overlap > 1 ? $" (overlap {overlap})" : ""), ct);
        return result;
    }

    public async Task<int> ClearAsync(ClaimsPrincipal actor, int datasetId, CancellationToken ct = default)
    {
        actor.RequireLead("change assignments or overlap");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending);
        var cleared = await db.PairAssignments.Where(a => a.DatasetId == datasetId && pending.Any(p => p.Id == a.PairId)).ExecuteDeleteAsync(ct);
        await audit.WriteAsync(actor.Identity?.Name, ReviewAudit.Unassign, $"dataset {datasetId}", $"{cleared} assignments", ct);
        return cleared;
    }

    public async Task SetOverlapAsync(ClaimsPrincipal actor, int datasetId, int overlap, CancellationToken ct = default)
    {
        actor.RequireLead("change assignments or overlap");
        if (overlap is < 1 or > MaxOverlap) throw new InvalidInputError($"Overlap must be between 1 and {MaxOverlap}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var updated = await db.Datasets.Where(d => d.Id == datasetId).ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, overlap), ct);
        if (updated == 0) throw new NotFoundError($"There is no dataset {datasetId}.");
        await audit.WriteAsync(actor.Identity?.Name, ReviewAudit.Overlap, $"dataset {datasetId}", $"overlap {overlap}", ct);
    }

    /// <summary>Pending pairs per assignee, and (under a null id) pending pairs nobody is assigned.</summary>
    public async Task<IReadOnlyList<AssigneeLoad>> PendingByAssigneeAsync(int datasetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending);
        var loads = await db.PairAssignments.Where(a => a.DatasetId == datasetId && pending.Any(p => p.Id == a.PairId))
            .GroupBy(a => a.UserId).Select(g => new AssigneeLoad(g.Key, g.Count())).ToListAsync(ct);
        var unassigned = await pending.CountAsync(p => !db.PairAssignments.Any(a => a.PairId == p.Id), ct);
        return unassigned > 0 ? [.. loads, new AssigneeLoad(null, unassigned)] : loads;
    }

    /// <summary>
    /// Slots per person when each of <paramref name="pairs"/> pairs needs <paramref name="perPair"/> different people:
    /// split by weight, no one above one slot per pair (what a capped person cannot take goes to the others by weight).
    /// </summary>
    public static int[] ShareOut(int pairs, int perPair, IReadOnlyList<int> weights)
    {
        var counts = new int[weights.Count];
        var open = Enumerable.Range(0, weights.Count).ToList();
        var left = pairs * perPair;
        while (left > 0 && open.Count > 0)
        {
            var split = SplitByWeight(left, open.Select(i => weights[i]).ToList());
            for (var k = 0; k < open.Count; k++) counts[open[k]] += split[k];
            var excess = open.Sum(i => Math.Max(0, counts[i] - pairs));
            foreach (var i in open) counts[i] = Math.Min(counts[i], pairs);
            open = open.Where(i => counts[i] < pairs).ToList();
            left = excess;
        }
        return counts;
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
