using BpoStudio.Core.Judging;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Triage;

public sealed record FindingBrief(string CheckId, FindingSeverity Severity, string? Detail);

public sealed record TriageRow(long PairId, long SampleId, string? SampleSourceId, string? ImageHash, string Prompt, string Chosen, string Rejected,
    ResponseKind RejectedKind, string? Method, PairStatus Status, IReadOnlyList<FindingBrief> Findings);

/// <summary>Findings of one check on a dataset, by severity, and split by negative kind and method.</summary>
public sealed record FindingCount(string CheckId, FindingSeverity Severity, int Pairs, IReadOnlyList<(string Kind, string Method, int Pairs)> ByMethod);

public sealed record TriageOverview(int Pairs, int WithBlocking, int WithoutFindings, IReadOnlyList<FindingCount> Findings,
    IReadOnlyList<(string Kind, string Method, int Pairs)> Methods)
{
    /// <summary>Pairs whose findings are all warnings: with the blocking and the clean ones they add up to <see cref="Pairs"/>.</summary>
    public int WithWarningsOnly => Pairs - WithBlocking - WithoutFindings;
}

/// <summary>What the Triage page and <c>review list</c> read: counts per finding and the pairs matching a filter.</summary>
public sealed class TriageQueries(IDbContextFactory<BpoDbContext> dbFactory)
{
    public async Task<TriageOverview> OverviewAsync(int datasetId, System.Security.Claims.ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Accounts.ActorChecks.RequireLead(actor, "see a dataset's triage overview");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tallies = await NegativeTallies.CountAsync(dbFactory, datasetId, ct); // every pair, by its negative
        var pairs = tallies.Sum(t => t.Count);
        var findings = await (from f in db.PairFindings
                              where f.DatasetId == datasetId
                              join p in db.Pairs on f.PairId equals p.Id
                              join r in db.Responses on p.RejectedResponseId equals r.Id
                              group f by new { f.CheckId, f.Severity, r.Kind, r.Provenance.Method } into g
                              select new { g.Key.CheckId, g.Key.Severity, g.Key.Kind, g.Key.Method, Count = g.Count() }).ToListAsync(ct);
        var blocking = await db.PairFindings.Where(f => f.DatasetId == datasetId && f.Severity == FindingSeverity.Block).Select(f => f.PairId).Distinct().CountAsync(ct);
        var withAny = await db.PairFindings.Where(f => f.DatasetId == datasetId).Select(f => f.PairId).Distinct().CountAsync(ct);
        var methods = tallies.GroupBy(t => (t.Kind, t.Method))
            .Select(g => new { g.Key.Kind, g.Key.Method, Count = g.Sum(t => t.Count) }).ToList();
        var counts = findings.GroupBy(f => (f.CheckId, f.Severity))
            .Select(g => new FindingCount(g.Key.CheckId, g.Key.Severity, g.Sum(x => x.Count),
                [.. g.Select(x => (x.Kind.ToWire(), x.Method ?? "unknown", x.Count)).OrderByDescending(x => x.Count)]))
            .OrderByDescending(f => f.Severity).ThenByDescending(f => f.Pairs).ToList();
        return new TriageOverview(pairs, blocking, pairs - withAny, counts,
            [.. methods.Select(m => (m.Kind.ToWire(), m.Method ?? "unknown", m.Count)).OrderByDescending(m => m.Count)]);
    }

    /// <summary>A page of the pairs matching the filter (every status unless it names one), in id order, and how many match.</summary>
    public async Task<(int Total, IReadOnlyList<TriageRow> Rows)> PairsAsync(int datasetId, PairFilter filter, int skip = 0, int take = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = await db.MatchingAsync(datasetId, filter, defaultStatus: null, ct);
        var total = await query.CountAsync(ct);
        return (total, await RowsAsync(db, query.InReviewOrder(db, filter).Skip(skip).Take(take), ct));
    }

    public async Task<IReadOnlyList<FindingBrief>> FindingsAsync(long pairId, System.Security.Claims.ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Accounts.ActorChecks.RequireReviewer(actor, "see what the checks found");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await FindingsQuery.For(db)(db, pairId).ToListAsync(ct);
    }

    // Compiled: the review page asks it for every pair it shows.
    private static readonly CompiledPerModel<Func<BpoDbContext, long, IAsyncEnumerable<FindingBrief>>> FindingsQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, long pairId) =>
        db.PairFindings.Where(f => f.PairId == pairId).OrderByDescending(f => f.Severity).ThenBy(f => f.CheckId)
            .Select(f => new FindingBrief(f.CheckId, f.Severity, f.Detail))));

    internal static async Task<IReadOnlyList<TriageRow>> RowsAsync(BpoDbContext db, IQueryable<PreferencePair> page, CancellationToken ct)
    {
        var rows = await page.Select(p => new
        {
            p.Id, p.SampleId, p.Sample!.Source.RecordId, p.Sample.ImageHash, p.Sample.Prompt, Chosen = p.ChosenResponse!.Text, Rejected = p.RejectedResponse!.Text,
            p.RejectedResponse.Kind, p.RejectedResponse.Provenance.Method, p.Status,
        }).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var findings = (await db.PairFindings.Where(f => ids.Contains(f.PairId)).Select(f => new { f.PairId, f.CheckId, f.Severity, f.Detail }).ToListAsync(ct))
            .ToLookup(f => f.PairId);
        return [.. rows.Select(r => new TriageRow(r.Id, r.SampleId, r.RecordId, r.ImageHash, r.Prompt, r.Chosen, r.Rejected, r.Kind, r.Method, r.Status,
            [.. findings[r.Id].OrderByDescending(f => f.Severity).ThenBy(f => f.CheckId).Select(f => new FindingBrief(f.CheckId, f.Severity, f.Detail))]))];
    }
}
