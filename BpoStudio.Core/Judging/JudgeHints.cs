using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Judging;

/// <summary>The judge's verdict on one pair as reviewers see it.</summary>
public sealed record JudgeHint(string Scorer, double PreferChosen, double Confidence, bool OrdersDisagree, string? Rationale)
{
    public string Verdict => OrdersDisagree ? "is uncertain (its verdict flips with the order of the answers)"
        : PreferChosen > 0.5 ? "prefers the chosen answer" : PreferChosen < 0.5 ? "prefers the rejected answer" : "sees no difference";
}

/// <summary>
/// Whether and what reviewers see of the judge. A pair in a spot check is reviewed blind: no hint, whatever the
/// setting, so the sample measures people, not people reading the judge. A lead may switch hints off per dataset.
/// </summary>
public sealed class JudgeHints(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    public async Task<bool> ShownAsync(int datasetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.JudgeSettings.Where(s => s.DatasetId == datasetId).Select(s => (bool?)s.ShowHints).FirstOrDefaultAsync(ct) ?? true;
    }

    public async Task SetShownAsync(int datasetId, bool shown, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("switch the judge's hints");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var setting = await db.JudgeSettings.FirstOrDefaultAsync(s => s.DatasetId == datasetId, ct);
        if (setting is null) db.JudgeSettings.Add(setting = new JudgeSetting { DatasetId = datasetId });
        (setting.ShowHints, setting.UpdatedBy, setting.UpdatedAt) = (shown, actor.DisplayName(), clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), JudgeAudit.Hints, $"dataset {datasetId}", shown ? "reviewers see the judge's verdict" : "reviewers do not see the judge's verdict", ct);
    }

    /// <summary>
    /// The claims of a rejected answer the judge found false, offered as error spans, or none when reviewers must not
    /// see the judge: hints off, or the answer in a pair of a spot check (blind).
    /// </summary>
    /// <param name="falseClaims">The answer's false claims, when the caller read them already.</param>
    internal static async Task<IReadOnlyList<ClaimCheck>> FalseClaimsShownAsync(BpoDbContext db, long datasetId, long responseId, CancellationToken ct, List<ClaimCheck>? falseClaims = null)
    {
        // Most answers have no checked claims: one indexed look-up, and the blind rules only when there is something to hide.
        var claims = falseClaims ?? await ClaimsRun.FalseClaimsAsync(db, responseId, ct);
        if (claims.Count == 0) return claims;
        var hidden = await db.JudgeSettings.AnyAsync(s => s.DatasetId == datasetId && !s.ShowHints, ct)
            || await db.Pairs.AnyAsync(p => p.RejectedResponseId == responseId && db.SpotCheckItems.Any(i => i.PairId == p.Id), ct);
        return hidden ? [] : claims;
    }

    /// <summary>The newest verdict on the pair, or null: hints off, the pair in a spot check (blind), or no verdict.</summary>
    public async Task<JudgeHint?> ForPairAsync(long pairId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("see the judge's hint");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await HintQuery.For(db)(db, pairId);
    }

    // One compiled query, as the review page asks it for every pair: no hint in a spot check or where a lead switched hints off.
    private static readonly CompiledPerModel<Func<BpoDbContext, long, Task<JudgeHint?>>> HintQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, long pairId) =>
        db.PairScores.Where(s => s.PairId == pairId && s.PreferChosen != null && s.Scorer.StartsWith("judge:")
                && !db.SpotCheckItems.Any(i => i.PairId == pairId)
                && !db.JudgeSettings.Any(j => j.DatasetId == db.Pairs.Where(p => p.Id == pairId).Select(p => p.DatasetId).FirstOrDefault() && !j.ShowHints))
            .OrderByDescending(s => s.Id)
            .Select(s => new JudgeHint(s.Scorer, s.PreferChosen!.Value, s.Confidence ?? 0, s.OrdersDisagree, s.Rationale)).FirstOrDefault()));
}
