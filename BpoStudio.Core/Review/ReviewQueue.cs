using System.Security.Claims;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Review;

public sealed class ReviewQueueOptions
{
    public const string Section = "Review";

    /// <summary>How long a served pair stays held without a renewal; the page renews it every third of this.</summary>
    public int ReservationSeconds { get; set; } = 300;

    public TimeSpan Reservation => TimeSpan.FromSeconds(ReservationSeconds);
}

/// <summary>
/// The shared queue as a team meets it: serving a pair reserves it (and the rest of its sample's open pairs) for the
/// reviewer, in one serialised step per dataset, so twenty people on one queue never get the same pair under
/// overlap 1, and with overlap N at most N hold or decided it. Reservations expire unless renewed.
/// </summary>
public sealed class ReviewQueue(IDbContextFactory<BpoDbContext> dbFactory, ReviewQueries queries, TimeProvider clock, IOptions<ReviewQueueOptions> options)
{
    public TimeSpan Lease => options.Value.Reservation;

    /// <summary>Finds this reviewer's next pair and reserves it; their other holds in the dataset outside its sample are let go.</summary>
    public async Task<PairView?> ServeAsync(int datasetId, ClaimsPrincipal actor, PairFilter? filter = null, IReadOnlyCollection<long>? skipped = null, CancellationToken ct = default)
    {
        var who = Reviewer.Of(actor);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Browsing one's decisions, a decided status or an annotator's share reserves nothing: no lock, no writes.
        if (filter?.MyDecision is not null || filter?.AssigneeId is not null || (filter?.Status ?? PairStatus.Pending) != PairStatus.Pending)
        {
            var browsed = await queries.NextIdAsync(db, datasetId, who.Id, filter, await queries.ResolveSearchAsync(db, datasetId, filter, ct), skipped ?? [], now, ct);
            return browsed is null ? null : await ReviewQueries.LoadAsync(db, browsed.Id, ct, who.Id);
        }
        var search = await queries.ResolveSearchAsync(db, datasetId, filter, ct); // outside the lock: it reads no reservation
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await SerialiseClaimsAsync(db, datasetId, now, ct);
        var shape = await ReviewQueries.ShapeAsync(db, datasetId, who.Id);
        // A sample already held comes first: its other negatives stay with the person who has its image open.
        var next = (shape.HoldsAny ? await HeldOpenPairAsync(db, datasetId, who.Id, filter, skipped ?? [], now, ct) : null)
            ?? await queries.NextIdAsync(db, datasetId, who.Id, filter, search, skipped ?? [], now, ct, shape);
        if (next is not null) await ReserveSampleAsync(db, datasetId, who.Id, next, shape.Overlap, skipped ?? [], now, ct);
        else if (shape.HoldsAny) await db.PairReservations.Where(r => r.DatasetId == datasetId && r.UserId == who.Id).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        return next is null ? null : await ReviewQueries.LoadAsync(db, next.Id, ct, who.Id);
    }

    /// <summary>Keeps this reviewer's holds in the dataset alive while the pair is on screen.</summary>
    public async Task<int> RenewAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        var who = Reviewer.Of(actor);
        var until = clock.GetUtcNow().UtcDateTime + Lease;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PairReservations.Where(r => r.DatasetId == datasetId && r.UserId == who.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ExpiresAt, until), ct);
    }

    /// <summary>Gives back one pair (a skip) or all of this reviewer's holds in the dataset (leaving the page).</summary>
    public async Task ReleaseAsync(int datasetId, ClaimsPrincipal actor, long? pairId = null, CancellationToken ct = default)
    {
        var who = Reviewer.Of(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mine = db.PairReservations.Where(r => r.DatasetId == datasetId && r.UserId == who.Id);
        await (pairId is { } one ? mine.Where(r => r.PairId == one) : mine).ExecuteDeleteAsync(ct);
    }

    /// <summary>Who holds a pair now (for a lead's view and tests).</summary>
    public async Task<IReadOnlyList<string>> HoldersAsync(long pairId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PairReservations.Where(r => r.PairId == pairId && r.ExpiresAt > now).Select(r => r.UserId).ToListAsync(ct);
    }

    // One claim at a time per dataset. SQLite: the transaction's first statement writes, so it takes the database's write
    // lock before reading anything (no stale snapshot to upgrade). PostgreSQL: a transaction-scoped advisory lock on the
    // dataset, after which each statement reads every reservation committed before it.
    private static async Task SerialiseClaimsAsync(BpoDbContext db, int datasetId, DateTime now, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ClaimLockSpace}, {datasetId})", ct);
        // Plain SQL for this and the other statements on every serve: translating their LINQ each time cost more than running them.
        await db.Database.ExecuteSqlAsync($"""DELETE FROM "PairReservations" WHERE "ExpiresAt" <= {now}""", ct);
    }

    private const int ClaimLockSpace = 0x42504f; // "BPO": keeps these advisory locks apart from any other use

    private static async Task<QueuedPair?> HeldOpenPairAsync(BpoDbContext db, int datasetId, string userId, PairFilter? filter, IReadOnlyCollection<long> skipped, DateTime now, CancellationToken ct)
    {
        var held = db.PairReservations.Where(r => r.DatasetId == datasetId && r.UserId == userId && r.ExpiresAt > now).Select(r => r.PairId);
        // The held pairs first, the search over them after: they are a sample's few (none once its last pair is decided),
        // while a search's subqueries collect every text that matches (a second per serve at 1M for a common word).
        var search = filter?.Search?.Trim();
        var open = db.Matching(datasetId, string.IsNullOrEmpty(search) ? filter : filter! with { Search = null }, defaultStatus: PairStatus.Pending)
            .Where(p => held.Contains(p.Id) && !db.PairDecisions.Any(d => d.PairId == p.Id && d.UserId == userId));
        if (skipped.Count > 0) open = open.Where(p => !skipped.Contains(p.Id));
        if (!string.IsNullOrEmpty(search))
        {
            var few = await open.Select(p => p.Id).ToListAsync(ct);
            if (few.Count == 0) return null;
            var matching = await PairSearch.MatchingFewAsync(db, few, search, ct);
            open = db.Pairs.Where(p => matching.Contains(p.Id));
        }
        return await open.OrderBy(p => p.Id).Select(p => new QueuedPair(p.Id, p.SampleId)).FirstOrDefaultAsync(ct);
    }

    private async Task ReserveSampleAsync(BpoDbContext db, int datasetId, string userId, QueuedPair served, int overlap, IReadOnlyCollection<long> skipped, DateTime now, CancellationToken ct)
    {
        var (pairId, sampleId) = (served.Id, served.SampleId);
        await db.Database.ExecuteSqlAsync($"""DELETE FROM "PairReservations" WHERE "DatasetId" = {datasetId} AND "UserId" = {userId} AND "SampleId" <> {sampleId}""", ct);
        // The served pair, and its sample's other open pairs that are still free for this reviewer under the overlap
        // (not the ones they skipped: a skip gives a pair back).
        var free = await db.Pairs.Where(p => p.SampleId == sampleId && p.Status == PairStatus.Pending && !skipped.Contains(p.Id)
                && !db.PairDecisions.Any(d => d.PairId == p.Id && d.UserId == userId)
                && !db.PairReservations.Any(r => r.PairId == p.Id && r.UserId == userId)
                && (p.Id == pairId || db.PairReservations.Count(r => r.PairId == p.Id && r.UserId != userId) + db.PairDecisions.Count(d => d.PairId == p.Id) < Math.Max(1, overlap)))
            .Select(p => p.Id).ToListAsync(ct);
        var until = now + Lease;
        foreach (var id in free)
            db.PairReservations.Add(new PairReservation { PairId = id, UserId = userId, DatasetId = datasetId, SampleId = sampleId, ExpiresAt = until });
        if (skipped.Count > 0) await db.PairReservations.Where(r => r.UserId == userId && skipped.Contains(r.PairId)).ExecuteDeleteAsync(ct);
        await db.Database.ExecuteSqlAsync($"""UPDATE "PairReservations" SET "ExpiresAt" = {until} WHERE "UserId" = {userId} AND "SampleId" = {sampleId}""", ct);
        await db.SaveChangesAsync(ct);
    }
}
