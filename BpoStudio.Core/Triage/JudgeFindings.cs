using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Triage;

/// <summary>
/// The findings a judge's verdict raises, kept apart from the text checks: checking a pair's texts again leaves them,
/// and a judge run replaces only these. Triage owns the findings table; the judge writes through here.
/// </summary>
public static class JudgeFindings
{
    public const string Prefix = "judge-";
    public const string PrefersRejected = "judge-prefers-rejected";
    public const string Uncertain = "judge-uncertain";

    public static readonly IReadOnlyList<CheckInfo> Defaults =
    [
        new(PrefersRejected, "The judge prefers the rejected answer in both orders: the negative may be right, or the chosen answer wrong", FindingSeverity.Warn, FindingSeverity.Warn),
        new(Uncertain, "The judge's verdict flips with the order of the answers, or its confidence is below the threshold", FindingSeverity.Info, FindingSeverity.Info),
    ];

    public static bool IsJudgeFinding(string checkId) => checkId.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>These pairs' judge findings become <paramref name="findings"/>, in the caller's transaction.</summary>
    public static async Task ReplaceAsync(BpoDbContext db, int datasetId, IReadOnlyList<long> pairIds, IEnumerable<(long PairId, string CheckId, string Detail)> findings, CancellationToken ct)
    {
        var severities = await db.CheckSettings.Where(s => s.DatasetId == datasetId && s.CheckId.StartsWith(Prefix)).ToDictionaryAsync(s => s.CheckId, s => s.Severity, ct);
        await db.PairFindings.Where(f => pairIds.Contains(f.PairId) && f.CheckId.StartsWith(Prefix)).ExecuteDeleteAsync(ct);
        foreach (var (pairId, checkId, detail) in findings)
            db.PairFindings.Add(new PairFinding
            {
                DatasetId = datasetId, PairId = pairId, CheckId = checkId, Detail = detail.Length > 256 ? detail[..256] : detail,
                Severity = severities.GetValueOrDefault(checkId, Defaults.Single(d => d.Id == checkId).DefaultSeverity),
            });
        await db.SaveChangesAsync(ct);
    }
}
