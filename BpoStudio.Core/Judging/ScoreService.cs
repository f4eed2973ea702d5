using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Judging;

/// <summary>A score a program gives a pair (a reward model, another judge): its preference for the chosen answer, 0 to 1.</summary>
public sealed record PushedScore(long PairId, string Scorer, double PreferChosen, double? Confidence = null, string? Rationale = null, bool SawImage = false);

/// <summary>Reading a pair's scores, and scores pushed by programs: each scorer's newest replaces its earlier one.</summary>
public sealed class ScoreService(IDbContextFactory<BpoDbContext> dbFactory)
{
    public const int MaxPerCall = 10_000;

    public async Task<IReadOnlyList<PairScore>> OfPairAsync(long pairId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PairScores.AsNoTracking().Where(s => s.PairId == pairId).OrderBy(s => s.Id).ToListAsync(ct);
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
        var now = DateTime.UtcNow;
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
