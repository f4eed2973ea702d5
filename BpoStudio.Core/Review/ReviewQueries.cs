using BpoStudio.Core.Judging;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Review;

/// <summary>The review queue and the pair view: indexed lookups only, nothing counted over text on the hot path.</summary>
public sealed class ReviewQueries(IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    /// <summary>Index matches from which a search is served by walking the index (see <see cref="PairSearch.IsCommonAsync"/>).</summary>
    public int CommonSearchMatches { get; init; } = PairSearch.CommonMatches;

    /// <summary>Pending pairs PostgreSQL tests a search against before fetching its matches (see <see cref="PairSearch.ResolveOnPostgresAsync"/>).</summary>
    internal int SearchProbePairs { get; init; } = 256;

    /// <summary>
    /// The next pair for this reviewer, without reserving it (<see cref="ReviewQueue.ServeAsync"/> reserves): assigned to
    /// them first, then unassigned; never one they already decided (unless browsing a decided status), nor one others hold.
    /// </summary>
    public async Task<PairView?> NextAsync(int datasetId, string userId, PairFilter? filter = null, IReadOnlyCollection<long>? skipped = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var search = await ResolveSearchAsync(db, datasetId, filter, ct);
        var next = await NextIdAsync(db, datasetId, userId, filter, search, skipped ?? [], clock.GetUtcNow().UtcDateTime, ct);
        return next is null ? null : await LoadAsync(db, next.Id, ct, userId);
    }

    /// <summary>
    /// The filter's search as PostgreSQL's queue matches it (see <see cref="PairSearch.ResolveOnPostgresAsync"/>); null without
    /// a search and on SQLite. Its own step, so a serve does it before taking the dataset's claim lock.
    /// </summary>
    internal async Task<ResolvedSearch?> ResolveSearchAsync(BpoDbContext db, int datasetId, PairFilter? filter, CancellationToken ct) =>
        filter?.Search?.Trim() is { Length: > 0 } search ? await PairSearch.ResolveOnPostgresAsync(db, datasetId, search, SearchProbePairs, CommonSearchMatches, ct) : null;

    internal async Task<QueuedPair?> NextIdAsync(BpoDbContext db, int datasetId, string userId, PairFilter? filter, ResolvedSearch? resolved, IReadOnlyCollection<long> skipped,
        DateTime now, CancellationToken ct, QueueShape? shape = null)
    {
        var (overlap, hasMine, hasSampled, _) = shape ?? await ShapeAsync(db, datasetId, userId);
        var search = filter?.Search?.Trim();
        if (!string.IsNullOrEmpty(search) && await PairSearch.IsCommonAsync(db, search, ct, CommonSearchMatches))
            return await NextOfCommonSearchAsync(db, datasetId, userId, filter! with { Search = null }, search, skipped, overlap, now, ct);
        var open = Open(db, datasetId, userId, resolved is null ? filter : filter! with { Search = null }, skipped, overlap, now);
        if (resolved is not null) open = resolved.Apply(open);
        if (filter?.AssigneeId is not null || filter?.MyDecision is not null || (filter?.Status ?? PairStatus.Pending) != PairStatus.Pending)
        {
            // Browsing one annotator's share, one's own decisions or decided pairs: plain id order, assignment aside.
            return await open.OrderBy(p => p.Id).Select(p => new QueuedPair(p.Id, p.SampleId)).FirstOrDefaultAsync(ct);
        }
        // A spot check's sample comes before the rest, so the lead's estimate arrives while the rest waits on it. The IN list
        // drives the look-up from the (few) sampled pairs; a correlated probe per open pair would scan the whole queue.
        var sampled = db.SpotCheckItems.Where(i => i.DatasetId == datasetId).Select(i => i.PairId);
        var mine = db.PairAssignments.Where(a => a.DatasetId == datasetId && a.UserId == userId).Select(a => a.PairId);
        // Within each tier: by id, or the judge's least certain verdicts first when the filter asks (Judging's order). A tier
        // with nothing in it (no assignments for this reviewer, no spot check) is not asked.
        var pair = (hasMine ? await open.Where(p => mine.Contains(p.Id)).InReviewOrder(db, filter).Select(p => new QueuedPair(p.Id, p.SampleId)).FirstOrDefaultAsync(ct) : null)
            ?? (hasSampled ? await open.Where(p => sampled.Contains(p.Id) && !db.PairAssignments.Any(a => a.PairId == p.Id && a.UserId != userId))
                .OrderBy(p => p.Id).Select(p => new QueuedPair(p.Id, p.SampleId)).FirstOrDefaultAsync(ct) : null)
            ?? await open.Where(p => !db.PairAssignments.Any(a => a.PairId == p.Id)).InReviewOrder(db, filter).Select(p => new QueuedPair(p.Id, p.SampleId)).FirstOrDefaultAsync(ct);
        // With overlap, a pair given to fewer people than it needs still takes further reviewers once one's own share is served.
        if (pair is null && overlap > 1)
            pair = await open.Where(p => db.PairAssignments.Count(a => a.PairId == p.Id) < overlap).InReviewOrder(db, filter).Select(p => new QueuedPair(p.Id, p.SampleId)).FirstOrDefaultAsync(ct);
        return pair;
    }

    /// <summary>What a serve needs to know of the dataset before looking: its overlap, and which tiers can hold anything.</summary>
    internal static async Task<QueueShape> ShapeAsync(BpoDbContext db, int datasetId, string userId) =>
        await ShapeQuery.For(db)(db, datasetId, userId) ?? new QueueShape(0, false, false, false);

    private static readonly CompiledPerModel<Func<BpoDbContext, int, string, Task<QueueShape?>>> ShapeQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, int datasetId, string userId) =>
        db.Datasets.Where(d => d.Id == datasetId)
            .Select(d => new QueueShape(d.Overlap, db.PairAssignments.Any(a => a.DatasetId == datasetId && a.UserId == userId), db.SpotCheckItems.Any(i => i.DatasetId == datasetId),
                db.PairReservations.Any(r => r.DatasetId == datasetId && r.UserId == userId)))
            .FirstOrDefault()));

    public async Task<PairView?> LoadAsync(long pairId, CancellationToken ct = default, string? userId = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await LoadAsync(db, pairId, ct, userId);
    }

    /// <summary>This reviewer's latest decision in the dataset made before <paramref name="before"/> (all when null), other than <paramref name="except"/>.</summary>
    public async Task<(long PairId, DateTime At)?> MyEarlierDecisionAsync(int datasetId, string userId, DateTime? before, long? except, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mine = db.PairDecisions.Where(d => d.DatasetId == datasetId && d.UserId == userId && d.PairId != (except ?? 0));
        if (before is { } cursor) mine = mine.Where(d => d.At < cursor);
        var latest = await mine.OrderByDescending(d => d.At).Select(d => new { d.PairId, d.At }).FirstOrDefaultAsync(ct);
        return latest is null ? null : (latest.PairId, latest.At);
    }

    public async Task<ReviewProgress> ProgressAsync(int datasetId, string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Grouping on the indexed column itself lets SQLite count from the (DatasetId, Status, ...) index.
        var byStatus = await db.Pairs.Where(p => p.DatasetId == datasetId).GroupBy(p => p.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(ct);
        var mine = await db.PairDecisions.CountAsync(d => d.DatasetId == datasetId && d.UserId == userId, ct);
        return new ReviewProgress(byStatus.Sum(x => x.Count), byStatus.Where(x => x.Status != PairStatus.Pending).Sum(x => x.Count), mine);
    }

    /// <summary>
    /// A search most pairs match ("dog"): collecting every match per query would cost a scan of its whole posting list,
    /// so the index is walked in its own order a page at a time, and the first open pair in it that is this reviewer's
    /// to review is served (assigned to them or to nobody, or to anyone with overlap); the assignment tiers give way here.
    /// </summary>
    private static async Task<QueuedPair?> NextOfCommonSearchAsync(BpoDbContext db, int datasetId, string userId, PairFilter rest, string search,
        IReadOnlyCollection<long> skipped, int overlap, DateTime now, CancellationToken ct)
    {
        var open = Open(db, datasetId, userId, rest, skipped, overlap, now);
        if (rest.AssigneeId is null && rest.MyDecision is null && (rest.Status ?? PairStatus.Pending) == PairStatus.Pending && overlap <= 1)
            open = open.Where(p => !db.PairAssignments.Any(a => a.PairId == p.Id && a.UserId != userId));
        await foreach (var (prompts, ids) in PairSearch.CandidatePagesAsync(db, search, ct))
        {
            var matching = prompts ? open.Where(p => ids.Contains(p.SampleId)) : open.Where(p => ids.Contains(p.RejectedResponseId) || ids.Contains(p.ChosenResponseId));
            var hit = await matching.OrderBy(p => p.Id).Select(p => new QueuedPair(p.Id, p.SampleId)).FirstOrDefaultAsync(ct);
            if (hit is not null) return hit;
        }
        return null;
    }

    private static IQueryable<PreferencePair> Open(BpoDbContext db, int datasetId, string userId, PairFilter? filter, IReadOnlyCollection<long> skipped, int overlap, DateTime now)
    {
        if (filter?.MyDecision is { } mine)
        {
            // One's own decisions, whatever the pair's status: with overlap a pair stays pending after one of N decides.
            var decided = db.Matching(datasetId, filter with { Status = null }, defaultStatus: null);
            decided = mine.AsDecision() is { } wanted
                ? decided.Where(p => db.PairDecisions.Any(d => d.PairId == p.Id && d.UserId == userId && d.Decision == wanted))
                : decided.Where(p => db.PairDecisions.Any(d => d.PairId == p.Id && d.UserId == userId));
            return skipped.Count > 0 ? decided.Where(p => !skipped.Contains(p.Id)) : decided;
        }
        // The queue never serves a pair twice to the same reviewer, nor one that others hold up to its overlap;
        // browsing decided pairs shows one's own decisions too.
        var query = db.Matching(datasetId, filter, defaultStatus: PairStatus.Pending);
        if ((filter?.Status ?? PairStatus.Pending) == PairStatus.Pending)
        {
            query = query.Where(p => !db.PairDecisions.Any(d => d.PairId == p.Id && d.UserId == userId));
            query = overlap <= 1
                ? query.Where(p => !db.PairReservations.Any(r => r.PairId == p.Id && r.UserId != userId && r.ExpiresAt > now))
                : query.Where(p => db.PairReservations.Count(r => r.PairId == p.Id && r.UserId != userId && r.ExpiresAt > now)
                    + db.PairDecisions.Count(d => d.PairId == p.Id) < overlap);
        }
        return skipped.Count > 0 ? query.Where(p => !skipped.Contains(p.Id)) : query;
    }

    /// <summary>One pair as a reviewer sees it; with <paramref name="userId"/>, their own standing decision on it too.</summary>
    internal static async Task<PairView?> LoadAsync(BpoDbContext db, long pairId, CancellationToken ct, string? userId = null)
    {
        // One query for the pair, its texts, its assignees and this reviewer's decision; its siblings in a second.
        var row = await RowQuery.For(db)(db, pairId, userId);
        if (row is null) return null;
        var pair = row.Pair;
        var siblings = new List<SiblingNegative>();
        await foreach (var sibling in SiblingsQuery.For(db)(db, pair.SampleId, pair.Id).WithCancellation(ct)) siblings.Add(sibling);
        var sample = row.Sample!;
        var assignees = row.Assignees;
        var mine = row.MyDecision is { } decision ? new MyDecision(decision, row.MyDecisionAt!.Value) : null;
        return new PairView(pair.Id, pair.DatasetId, pair.RowVersion, pair.Status, sample.Id, sample.ImageHash, sample.ImageProblem, sample.Prompt,
            Detail(row.Chosen!), Detail(row.Rejected!), siblings, assignees, pair.FlagComment, sample.MoreImageHashes)
        {
            Mine = mine,
            EarlierTurns = sample.Source is { Turn: > 0, RecordId: not null } ? await EarlierTurnsAsync(db, sample, ct) : [],
            ResolvedBy = pair.ResolvedBy,
        };
    }

    // Compiled: loading a pair is on every decision's path, and building and looking up these LINQ trees per call cost
    // more than running them.
    private static readonly CompiledPerModel<Func<BpoDbContext, long, string?, Task<LoadedRow?>>> RowQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, long pairId, string? userId) =>
        db.Pairs.AsNoTracking().Where(p => p.Id == pairId).Select(p => new LoadedRow(p, p.Sample!, p.ChosenResponse!, p.RejectedResponse!,
            db.PairAssignments.Where(a => a.PairId == p.Id).OrderBy(a => a.UserId).Select(a => a.UserId).ToList(),
            db.PairDecisions.Where(d => d.PairId == p.Id && d.UserId == userId).Select(d => (Decision?)d.Decision).FirstOrDefault(),
            db.PairDecisions.Where(d => d.PairId == p.Id && d.UserId == userId).Select(d => (DateTime?)d.At).FirstOrDefault())).FirstOrDefault()));

    private static readonly CompiledPerModel<Func<BpoDbContext, long, long, IAsyncEnumerable<SiblingNegative>>> SiblingsQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, long sampleId, long pairId) =>
        db.Pairs.AsNoTracking()
            .Where(p => p.SampleId == sampleId && p.Id != pairId && p.Status == PairStatus.Pending)
            .OrderBy(p => p.Id)
            .Select(p => new SiblingNegative(p.Id, p.RejectedResponse!.Kind, p.RejectedResponse.Text, p.RejectedResponse.Provenance.Method, p.ChosenResponse!.Text))));

    private sealed record LoadedRow(PreferencePair Pair, Sample Sample, Response Chosen, Response Rejected, List<string> Assignees, Decision? MyDecision, DateTime? MyDecisionAt);

    // The same turns the exports read as context: the record's earlier samples with their imported ground truth.
    private static async Task<IReadOnlyList<ConversationTurn>> EarlierTurnsAsync(BpoDbContext db, Sample sample, CancellationToken ct)
    {
        var rows = await (from h in db.Samples
                          where h.DatasetId == sample.DatasetId && h.Source.File == sample.Source.File && h.Source.RecordId == sample.Source.RecordId && h.Source.Turn < sample.Source.Turn
                          from gt in db.Responses
                          where gt.SampleId == h.Id && gt.Kind == ResponseKind.Gt && gt.PreviousVersionId == null
                          orderby h.Source.Turn, gt.Id
                          select new { Turn = h.Source.Turn ?? 0, h.Prompt, gt.Text }).AsNoTracking().ToListAsync(ct);
        return [.. rows.DistinctBy(r => r.Turn).Select(r => new ConversationTurn(r.Turn, r.Prompt, r.Text))];
    }

    private static ResponseDetail Detail(Response r) => new(r.Id, r.Kind, r.Text, r.Provenance, r.PreviousVersionId is not null);
}

/// <summary>A pair the queue found: its id, and its sample (whose other open pairs a serve reserves with it).</summary>
internal sealed record QueuedPair(long Id, long SampleId);

/// <summary>
/// A dataset's overlap, and whether this reviewer has assignments in it, whether a spot check is open in it, and whether
/// they hold any pairs in it (read after expired holds are let go).
/// </summary>
internal sealed record QueueShape(int Overlap, bool HasMine, bool HasSampled, bool HoldsAny);
