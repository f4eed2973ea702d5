using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Judging;

/// <summary>A score a program gives a pair (a reward model, another judge): its preference for the chosen answer, 0 to 1.</summary>
public sealed record PushedScore(long PairId, string Scorer, double PreferChosen, double? Confidence = null, string? Rationale = null, bool SawImage = false);

/// <summary>Reading a pair's scores, and scores pushed by programs: each scorer's newest replaces its earlier one.</summary>
public sealed class ScoreService(IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    public const int MaxPerCall = 10_000;

    /// <summary>
    /// A pair's texts or sides changed (an edit, a swap, an undo of one): every score and judge finding was about texts
    /// it no longer has, so they go, in the caller's transaction, and the next judge run judges the pair again.
    /// </summary>
    internal static async Task ForgetPairAsync(BpoDbContext db, int datasetId, long pairId, CancellationToken ct)
    {
        await db.PairScores.Where(s => s.PairId == pairId).ExecuteDeleteAsync(ct);
        await Triage.JudgeFindings.ReplaceAsync(db, datasetId, [pairId], [], ct);
    }

    /// <summary>The scorers that scored a dataset's pairs, with how many pairs each scored, most first.</summary>
    public async Task<IReadOnlyList<(string Scorer, int Pairs)>> ScorersAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("see a dataset's scorers");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.PairScores.Where(s => s.DatasetId == datasetId && s.PreferChosen != null).GroupBy(s => s.Scorer)
            .Select(g => new { Scorer = g.Key, Pairs = g.Select(s => s.PairId).Distinct().Count() }).ToListAsync(ct);
        return [.. rows.OrderByDescending(r => r.Pairs).ThenBy(r => r.Scorer, StringComparer.Ordinal).Select(r => (r.Scorer, r.Pairs))];
    }

    public async Task<IReadOnlyList<PairScore>> OfPairAsync(long pairId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("see a pair's scores");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PairScores.AsNoTracking().Where(s => s.PairId == pairId).OrderBy(s => s.Id).ToListAsync(ct);
    }

    /// <summary>
    /// One scorer's newest score of each of <paramref name="pairs"/> that has a verdict, for exports. Scores are not part
    /// of a version (a program's new score replaces its earlier one), so a version's export carries them as they are now.
    /// </summary>
    internal static async Task<Dictionary<long, Export.ExportScore>> LatestAsync(BpoDbContext db, IQueryable<Datasets.PreferencePair> pairs, string scorer,
        CancellationToken ct)
    {
        var rows = await (
            from p in pairs
            join s in db.PairScores on p.Id equals s.PairId
            where s.Scorer == scorer && s.PreferChosen != null
            select new { s.PairId, s.Id, s.PreferChosen, s.Confidence }).AsNoTracking().ToListAsync(ct);
        return rows.GroupBy(r => r.PairId).ToDictionary(g => g.Key, g =>
        {
            var latest = g.MaxBy(r => r.Id)!;
            return new Export.ExportScore(latest.PreferChosen!.Value, latest.Confidence ?? 1);
        });
    }

    public async Task<int> PushAsync(int datasetId, IReadOnlyList<PushedScore> scores, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("push scores");
        if (scores.Count == 0) throw new InvalidInputError("The body holds no scores.");
        if (scores.Count > MaxPerCall) throw new TooLargeError($"At most {MaxPerCall:N0} scores a call; this one has {scores.Count:N0}.");
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            var where = $"scores[{i}]";
            if (string.IsNullOrWhiteSpace(s.Scorer) || s.Scorer.Length > 200) throw new InvalidInputError($"{where}.scorer must be 1 to 200 characters.", where);
            if (s.Scorer.StartsWith("judge:", StringComparison.Ordinal)) throw new InvalidInputError($"{where}.scorer: 'judge:' names BpoStudio's own judge; name your model another way.", where);
            if (s.PreferChosen is < 0 or > 1 || double.IsNaN(s.PreferChosen)) throw new InvalidInputError($"{where}.preferChosen must lie between 0 and 1, not {s.PreferChosen}.", where);
            if (s.Confidence is { } c && (c is < 0 or > 1 || double.IsNaN(c))) throw new InvalidInputError($"{where}.confidence must lie between 0 and 1, not {c}.", where);
            if (s.Rationale?.Length > 2000) throw new InvalidInputError($"{where}.rationale is longer than 2,000 characters.", where);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = scores.Select(s => s.PairId).Distinct().ToList();
        var known = (await db.Pairs.Where(p => p.DatasetId == datasetId && ids.Contains(p.Id)).Select(p => p.Id).ToListAsync(ct)).ToHashSet();
        if (scores.Select((s, i) => (s, i)).FirstOrDefault(x => !known.Contains(x.s.PairId)) is { s: not null } missing)
            throw new NotFoundError($"scores[{missing.i}]: dataset {datasetId} has no pair {missing.s.PairId}.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var scorers = scores.Select(s => s.Scorer.Trim()).Distinct().ToList();
        await db.PairScores.Where(s => ids.Contains(s.PairId) && scorers.Contains(s.Scorer) && s.Template == "").ExecuteDeleteAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var s in scores.GroupBy(s => (s.PairId, Scorer: s.Scorer.Trim())).Select(g => g.Last()))
            db.PairScores.Add(new PairScore
            {
                DatasetId = datasetId, PairId = s.PairId, Scorer = s.Scorer.Trim(), Template = "", PreferChosen = s.PreferChosen,
                Confidence = s.Confidence ?? Math.Max(s.PreferChosen, 1 - s.PreferChosen), Rationale = s.Rationale, SawImage = s.SawImage, Votes = 1, CreatedAt = now,
            });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return scores.Count;
    }
}
