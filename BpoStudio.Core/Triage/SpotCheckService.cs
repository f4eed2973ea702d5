using System.Security.Claims;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Imaging;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Triage;

public sealed record SpotCheckRequest(PairFilter Filter, int SampleSize, long Seed, bool Stratified = true, double Threshold = 0.9, double Margin = 0.05);

/// <summary>
/// One stratum of a spot check. <see cref="Reviewed"/> counts sampled pairs people accepted, rejected or flagged (a flag
/// counts against acceptance); <see cref="Remaining"/> the stratum's pending pairs outside the sample that accepting the
/// rest would decide.
/// </summary>
public sealed record StratumReport(string Stratum, ResponseKind? Kind, string? Method, int Sampled, int Reviewed, int Accepted,
    double Low, double High, int NeededForMargin, int Remaining, bool MeetsThreshold, long? AcceptedByBulkId)
{
    public double? Rate => Reviewed == 0 ? null : (double)Accepted / Reviewed;
    public string Label => Kind is not null ? $"{Kind.Value.ToWire()} · {Method ?? "unknown"}" : Stratum == "all" ? "all pairs" : Stratum;
}

public sealed record SpotCheckReport(SpotCheck Check, PairFilter Filter, IReadOnlyList<StratumReport> Strata);

/// <summary>
/// Sampled acceptance: draw a seeded random sample of a filter's undecided pairs (stratified by negative kind and
/// method), let annotators review it in the normal queue, and once a stratum's Wilson lower bound reaches the lead's
/// threshold, accept the rest of that stratum as one bulk action that carries the sample's figures.
/// </summary>
public sealed class SpotCheckService(IDbContextFactory<BpoDbContext> dbFactory, BulkActionService bulk, TimeProvider clock)
{
    private const string AllPairs = "all";

    public async Task<SpotCheck> DrawAsync(int datasetId, SpotCheckRequest request, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("draw a spot check");
        if (request.SampleSize is < 1 or > 10_000) throw new InvalidInputError("A spot check samples between 1 and 10,000 pairs.");
        if (request.Threshold is <= 0 or >= 1) throw new InvalidInputError("The acceptance threshold must lie between 0 and 1 (e.g. 0.9).");
        if (request.Margin is <= 0 or >= 0.5) throw new InvalidInputError("The margin must lie between 0 and 0.5 (e.g. 0.05).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var population = await Undecided(db, datasetId, request.Filter)
            .Select(p => new { p.Id, p.RejectedResponse!.Kind, p.RejectedResponse.Provenance.Method }).OrderBy(p => p.Id).ToListAsync(ct);
        if (population.Count == 0) throw new ConflictError($"No undecided pair matches {request.Filter.Describe()}; there is nothing to sample.");

        var strata = population.GroupBy(p => request.Stratified ? StratumKey(p.Kind, p.Method) : AllPairs)
            .Select(g => (Key: g.Key, Ids: g.Select(p => p.Id).ToList())).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var check = new SpotCheck
        {
            DatasetId = datasetId, FilterJson = JsonSerializer.Serialize(request.Filter, BulkActionService.FilterJson), FilterText = request.Filter.Describe(),
            Seed = request.Seed, SampleSize = Math.Min(request.SampleSize, population.Count), Stratified = request.Stratified,
            Threshold = request.Threshold, Margin = request.Margin, CreatedBy = actor.DisplayName(), CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        // Proportional allocation, at least one pair from every stratum, so a small method is not left unmeasured.
        var size = check.SampleSize;
        return await SaveSampleAsync(db, check, strata, ids => Math.Clamp((int)Math.Round((double)size * ids / population.Count), 1, ids),
            sampled => $"{sampled} of {population.Count:N0} undecided pairs ({check.FilterText}), seed {check.Seed}, {(check.Stratified ? $"{strata.Count} strata" : "not stratified")}", ct);
    }

    // The check, its sample (each stratum's first <c>take</c> ids of a seeded shuffle) and its audit entry, in one transaction.
    private static async Task<SpotCheck> SaveSampleAsync(BpoDbContext db, SpotCheck check, IReadOnlyList<(string Key, List<long> Ids)> strata, Func<int, int> take,
        Func<int, string> details, CancellationToken ct)
    {
        var random = new SeededRandom(check.Seed);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.SpotChecks.Add(check);
        await db.SaveChangesAsync(ct);
        foreach (var (key, ids) in strata)
            for (var i = 0; i < take(ids.Count); i++)
            {
                var j = i + random.NextInt(ids.Count - i);
                (ids[i], ids[j]) = (ids[j], ids[i]);
                db.SpotCheckItems.Add(new SpotCheckItem { SpotCheckId = check.Id, DatasetId = check.DatasetId, PairId = ids[i], Stratum = key });
            }
        check.SampleSize = db.ChangeTracker.Entries<SpotCheckItem>().Count();
        db.AuditEntries.Add(new AuditEntry
        {
            At = check.CreatedAt, UserName = check.CreatedBy, Action = TriageAudit.SpotCheckDraw, Subject = $"dataset {check.DatasetId} spot check {check.Id}",
            Details = details(check.SampleSize),
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return check;
    }

    /// <summary>
    /// A sample of up to <paramref name="perStratum"/> undecided pairs from each of the caller's strata (a judge's score
    /// bands), drawn at random with the seed: equal allocation, so every band is measured whatever its size.
    /// </summary>
    public async Task<SpotCheck> DrawStrataAsync(int datasetId, PairFilter filter, IReadOnlyList<(string Key, IReadOnlyList<long> PairIds)> strata, int perStratum, long seed,
        ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("draw a spot check");
        if (perStratum is < 1 or > 2_000) throw new InvalidInputError("A calibration sample takes between 1 and 2,000 pairs per band.");
        if (strata.Sum(s => s.PairIds.Count) == 0) throw new ConflictError($"No undecided pair matches {filter.Describe()}; there is nothing to sample.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var check = new SpotCheck
        {
            DatasetId = datasetId, FilterJson = JsonSerializer.Serialize(filter, BulkActionService.FilterJson), FilterText = filter.Describe(), Seed = seed,
            Stratified = true, Threshold = 0.9, Margin = 0.1, CreatedBy = actor.DisplayName(), CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        var ordered = strata.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.PairIds.Order().ToList())).ToList();
        return await SaveSampleAsync(db, check, ordered, ids => Math.Min(perStratum, ids),
            sampled => $"{sampled} of {strata.Sum(s => s.PairIds.Count):N0} undecided pairs ({check.FilterText}), up to {perStratum} from each of {strata.Count} strata, seed {seed}", ct);
    }

    /// <summary>The undecided pairs of a dataset that match, as a spot check samples them.</summary>
    public static IQueryable<PreferencePair> UndecidedPairs(BpoDbContext db, int datasetId, PairFilter filter) => Undecided(db, datasetId, filter);

    public async Task<IReadOnlyList<SpotCheck>> ListAsync(int datasetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SpotChecks.AsNoTracking().Where(s => s.DatasetId == datasetId).OrderByDescending(s => s.Id).ToListAsync(ct);
    }

    public async Task<SpotCheckReport> ReportAsync(long spotCheckId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var check = await db.SpotChecks.AsNoTracking().FirstOrDefaultAsync(s => s.Id == spotCheckId, ct) ?? throw new NotFoundError($"There is no spot check {spotCheckId}.");
        var filter = JsonSerializer.Deserialize<PairFilter>(check.FilterJson, BulkActionService.FilterJson)!;
        // Under overlap a sampled pair stays pending until N people decide; it counts as reviewed by those who did
        // (accepted when every one of them accepted). A sample is hundreds of pairs: grouped here, not in SQL.
        var items = (await (from i in db.SpotCheckItems
                            where i.SpotCheckId == spotCheckId
                            join p in db.Pairs on i.PairId equals p.Id
                            select new
                            {
                                i.Stratum, p.Status,
                                Decided = db.PairDecisions.Count(d => d.PairId == p.Id),
                                Accepts = db.PairDecisions.Count(d => d.PairId == p.Id && d.Decision == Review.Decision.Accepted),
                            }).ToListAsync(ct))
            .Select(x => new { x.Stratum, Status = x.Status != PairStatus.Pending || x.Decided == 0 ? x.Status : x.Accepts == x.Decided ? PairStatus.Accepted : PairStatus.Rejected })
            .GroupBy(x => (x.Stratum, x.Status)).Select(g => new { g.Key.Stratum, g.Key.Status, Count = g.Count() }).ToList();
        var rest = await Undecided(db, check.DatasetId, filter with { ExcludeSpotCheckId = spotCheckId })
            .GroupBy(p => new { p.RejectedResponse!.Kind, p.RejectedResponse.Provenance.Method })
            .Select(g => new { g.Key.Kind, g.Key.Method, Count = g.Count() }).ToListAsync(ct);
        var accepted = await db.BulkActions.Where(b => b.SpotCheckId == spotCheckId && b.UndoneAt == null)
            .Select(b => new { b.Id, b.FilterJson }).ToListAsync(ct);

        var strata = items.GroupBy(i => i.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var (kind, method) = ParseStratum(g.Key);
            int Count(Func<PairStatus, bool> which) => g.Where(x => which(x.Status)).Sum(x => x.Count);
            var yes = Count(s => s == PairStatus.Accepted);
            var reviewed = Count(s => s != PairStatus.Pending);
            var (low, high) = Wilson.Interval(yes, reviewed);
            var remaining = kind is null ? rest.Sum(r => r.Count) : rest.Where(r => r.Kind == kind && r.Method == method).Sum(r => r.Count);
            var sampled = Count(_ => true);
            var needed = Wilson.SampleSize(check.Margin, reviewed == 0 ? null : (double)yes / reviewed, remaining + sampled);
            var bulkId = accepted.FirstOrDefault(b => Stratum(JsonSerializer.Deserialize<PairFilter>(b.FilterJson, BulkActionService.FilterJson)!) == g.Key)?.Id;
            return new StratumReport(g.Key, kind, method, sampled, reviewed, yes, low, high, needed, remaining, reviewed > 0 && low >= check.Threshold, bulkId);
        }).ToList();
        return new SpotCheckReport(check, filter, strata);
    }

    /// <summary>Accepts the stratum's pending pairs outside the sample, once the sample's lower bound meets the threshold.</summary>
    public async Task<BulkResult> AcceptRestAsync(long spotCheckId, string stratum, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("accept the rest of a spot-checked stratum");
        var report = await ReportAsync(spotCheckId, ct);
        var row = report.Strata.FirstOrDefault(s => s.Stratum == stratum) ?? throw new NotFoundError($"Spot check {spotCheckId} has no stratum '{stratum}'.");
        if (row.Kind is null && stratum != AllPairs)
            throw new ConflictError($"Spot check {spotCheckId} samples a judge's score bands: accept at or above a threshold through its calibration instead.");
        if (!row.MeetsThreshold)
            throw new ConflictError($"{row.Label}: {row.Accepted} of {row.Reviewed} reviewed pairs accepted, lower bound {row.Low:P1}, " +
                $"below the threshold {report.Check.Threshold:P0}; review more of the sample first.");
        var filter = report.Filter with
        {
            Status = PairStatus.Pending, ExcludeSpotCheckId = spotCheckId,
            RejectedKind = row.Kind ?? report.Filter.RejectedKind, Method = row.Kind is null ? report.Filter.Method : row.Method,
        };
        var notes = $"spot check {spotCheckId}, {row.Label}: {row.Accepted} of {row.Reviewed} sampled pairs accepted (seed {report.Check.Seed}); " +
            $"95% Wilson interval {row.Low:P1} to {row.High:P1}, threshold {report.Check.Threshold:P0}";
        return await bulk.ApplyAsync(report.Check.DatasetId, new BulkRequest(filter, BulkOperation.Accept), actor, new BulkOrigin(spotCheckId, notes), ct);
    }

    private static IQueryable<PreferencePair> Undecided(BpoDbContext db, int datasetId, PairFilter filter) =>
        db.Matching(datasetId, filter, defaultStatus: PairStatus.Pending)
            .Where(p => p.Status == PairStatus.Pending && p.ResolvedBy == null && !db.PairDecisions.Any(d => d.PairId == p.Id));

    private static string StratumKey(ResponseKind kind, string? method) => $"{kind.ToWire()}/{method}";

    private static string Stratum(PairFilter filter) =>
        filter.ExcludeSpotCheckId is not null && filter.RejectedKind is { } kind ? StratumKey(kind, filter.Method) : AllPairs;

    private static (ResponseKind? Kind, string? Method) ParseStratum(string key)
    {
        var slash = key.IndexOf('/');
        if (key == AllPairs || slash < 0) return (null, null); // all pairs, or a judge's score band
        return (ResponseKindNames.Parse(key[..slash]), slash + 1 < key.Length ? key[(slash + 1)..] : null);
    }
}
