using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Dashboard;

public sealed record AcceptanceRow(string Key, int Accepted, int Rejected, int Pending)
{
    public double? Rate => Accepted + Rejected == 0 ? null : (double)Accepted / (Accepted + Rejected);
}

public sealed record AnnotatorThroughput(string Name, int Decisions, int LastSevenDays, double? MedianSecondsPerDecision);

public sealed record RaterPairKappa(string A, string B, int SharedPairs, double PercentAgreement, double CohensKappa);

public sealed record AgreementSummary(int OverlappedPairs, double PercentAgreement, IReadOnlyList<RaterPairKappa> CohenByRaterPair, int FleissRaters, int FleissPairs, double FleissKappa);

public sealed record FlaggedPair(long PairId, long RowVersion, string Prompt, string Chosen, string Rejected, string? FlagComment, IReadOnlyList<string> Decisions, string? ImageHash = null);

/// <summary>Confirmed error spans on the pairs' current rejected answers, by error type and the method that made the answer.</summary>
public sealed record ErrorCountRow(string Type, string Method, int Minor, int Major, int Critical)
{
    public int Total => Minor + Major + Critical;
}

public sealed record DatasetDashboard(
    IReadOnlyDictionary<PairStatus, int> ByStatus,
    IReadOnlyList<AcceptanceRow> ByKind,
    IReadOnlyList<AcceptanceRow> ByMethod,
    int Edits,
    int EditedPairs,
    double EditsPerDecidedPair,
    IReadOnlyList<AnnotatorThroughput> Throughput,
    AgreementSummary Agreement,
    IReadOnlyList<FlaggedPair> Flagged,
    IReadOnlyList<ErrorCountRow>? Errors = null);

/// <summary>What a lead watches per dataset: progress, which methods yield usable negatives, throughput, agreement, flags.</summary>
public sealed class DashboardQueries(IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    private static readonly ReviewAction[] DecisionActions = [ReviewAction.Accept, ReviewAction.Reject, ReviewAction.Flag];

    public async Task<DatasetDashboard> LoadAsync(int datasetId, System.Security.Claims.ClaimsPrincipal actor, int flaggedLimit = 50, CancellationToken ct = default)
    {
        Accounts.ActorChecks.RequireLead(actor, "see a dataset's dashboard");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pairs = db.Pairs.Where(p => p.DatasetId == datasetId);
        // Every pair is tallied by its negative: the counts by status are their sums, not a second pass over the pairs.
        var tallies = await NegativeTallies.CountAsync(dbFactory, datasetId, ct);
        var byStatus = tallies.GroupBy(t => t.Status).ToDictionary(g => g.Key, g => g.Sum(t => t.Count));

        var byNegative = tallies.Select(t => new NegativeCount(t.Kind, t.Method, t.Status, t.Count, t.Edited)).ToList();
        byNegative = await WithGeneratingMethodsAsync(db, pairs, byNegative, ct);
        static List<AcceptanceRow> Rates<T>(IEnumerable<T> rows, Func<T, string> key, Func<T, PairStatus> status, Func<T, int> count) =>
            rows.GroupBy(key).Select(g => new AcceptanceRow(g.Key,
                g.Where(r => status(r) == PairStatus.Accepted).Sum(count), g.Where(r => status(r) == PairStatus.Rejected).Sum(count),
                g.Where(r => status(r) is PairStatus.Pending or PairStatus.Flagged).Sum(count))).OrderBy(r => r.Key).ToList();

        var events = db.ReviewEvents.Where(e => e.DatasetId == datasetId && !e.Undone);
        var edits = await events.Where(e => e.Action == ReviewAction.EditChosen || e.Action == ReviewAction.EditRejected)
            .GroupBy(e => e.PairId).Select(g => g.Count()).ToListAsync(ct);
        var decided = byStatus.Where(s => s.Key != PairStatus.Pending).Sum(s => s.Value);

        var names = await db.Users.ToDictionaryAsync(u => u.Id, u => u.Email ?? u.UserName ?? u.Id, ct);
        return new DatasetDashboard(byStatus,
            Rates(byNegative, r => r.Kind.ToWire(), r => r.Status, r => r.Count),
            Rates(byNegative, r => r.Method ?? "unknown", r => r.Status, r => r.Count),
            edits.Sum(), edits.Count, decided == 0 ? 0 : (double)edits.Sum() / decided,
            await ThroughputAsync(events, ct), await AgreementAsync(db, datasetId, names, ct), await FlaggedAsync(db, datasetId, flaggedLimit, names, ct),
            await ErrorsAsync(db, datasetId, ct));
    }

    // Spans on earlier versions of an edited answer are history, not errors of the data: only current rejected answers count.
    private static async Task<IReadOnlyList<ErrorCountRow>> ErrorsAsync(BpoDbContext db, int datasetId, CancellationToken ct)
    {
        var counts = await (
            from s in db.ErrorSpans
            where s.DatasetId == datasetId && s.Status == Feedback.SpanStatus.Confirmed && db.Pairs.Any(p => p.RejectedResponseId == s.ResponseId)
            join r in db.Responses on s.ResponseId equals r.Id
            group s by new { s.Type, s.Severity, r.Provenance.Method } into g
            select new { g.Key.Type, g.Key.Severity, g.Key.Method, Count = g.Count() }).ToListAsync(ct);
        return [.. counts.GroupBy(c => (c.Type, Method: c.Method ?? "unknown"))
            .Select(g => new ErrorCountRow(g.Key.Type.ToString().ToLowerInvariant(), g.Key.Method,
                g.Where(c => c.Severity == Feedback.ErrorSeverity.Minor).Sum(c => c.Count), g.Where(c => c.Severity == Feedback.ErrorSeverity.Major).Sum(c => c.Count),
                g.Where(c => c.Severity == Feedback.ErrorSeverity.Critical).Sum(c => c.Count)))
            .OrderByDescending(r => r.Total).ThenBy(r => r.Type, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)];
    }

    private sealed record NegativeCount(ResponseKind Kind, string? Method, PairStatus Status, int Count, bool Edited);

    /// <summary>
    /// An edited negative is a new response whose method reads "edit"; its acceptance belongs to the method that
    /// generated it, found at the root of its edit chain. Edits are few, so their chains are walked a level at a time.
    /// </summary>
    private static async Task<List<NegativeCount>> WithGeneratingMethodsAsync(BpoDbContext db, IQueryable<PreferencePair> pairs, List<NegativeCount> counts, CancellationToken ct)
    {
        if (!counts.Any(c => c.Edited)) return counts;
        var edited = await (from p in pairs
                            join r in db.Responses on p.RejectedResponseId equals r.Id
                            where r.PreviousVersionId != null
                            select new { Root = r.PreviousVersionId!.Value, r.Kind, p.Status }).ToListAsync(ct);
        var rootOf = edited.Select(e => e.Root).Distinct().ToDictionary(id => id, id => id);
        var methods = new Dictionary<long, string?>();
        var frontier = rootOf.Values.ToHashSet();
        while (frontier.Count > 0)
        {
            var ids = frontier.ToList();
            var rows = await db.Responses.Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.PreviousVersionId, r.Provenance.Method }).ToListAsync(ct);
            frontier = [];
            foreach (var row in rows)
            {
                if (row.PreviousVersionId is not { } previous) { methods[row.Id] = row.Method; continue; }
                foreach (var start in rootOf.Where(kv => kv.Value == row.Id).Select(kv => kv.Key).ToList()) rootOf[start] = previous;
                frontier.Add(previous);
            }
        }
        return [.. counts.Where(c => !c.Edited),
            .. edited.GroupBy(e => (e.Kind, Method: methods.GetValueOrDefault(rootOf[e.Root]), e.Status)).Select(g => new NegativeCount(g.Key.Kind, g.Key.Method, g.Key.Status, g.Count(), true))];
    }

    private async Task<List<AnnotatorThroughput>> ThroughputAsync(IQueryable<ReviewEvent> events, CancellationToken ct)
    {
        // A lead's bulk action is no one's work rate: only people's own decisions count.
        var decisions = await events.Where(e => DecisionActions.Contains(e.Action) && e.BulkActionId == null).OrderBy(e => e.At)
            .Select(e => new { Name = e.UserName ?? e.UserId, e.At }).ToListAsync(ct);
        var weekAgo = clock.GetUtcNow().UtcDateTime.AddDays(-7);
        return decisions.GroupBy(d => d.Name).Select(g =>
        {
            // Gaps over ten minutes are breaks, not time spent on a pair.
            var gaps = g.Zip(g.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).Where(s => s < 600).Order().ToList();
            return new AnnotatorThroughput(g.Key, g.Count(), g.Count(d => d.At >= weekAgo), gaps.Count == 0 ? null : gaps[gaps.Count / 2]);
        }).OrderByDescending(t => t.Decisions).ToList();
    }

    private static async Task<AgreementSummary> AgreementAsync(BpoDbContext db, int datasetId, Dictionary<string, string> names, CancellationToken ct)
    {
        var decisions = await db.PairDecisions.Where(d => d.DatasetId == datasetId).Select(d => new { d.PairId, d.UserId, d.Decision }).ToListAsync(ct);
        var overlapped = decisions.GroupBy(d => d.PairId).Where(g => g.Count() >= 2).ToList();
        var categories = Enum.GetValues<Decision>();
        var counts = overlapped.Select(g => (IReadOnlyList<int>)categories.Select(c => g.Count(d => d.Decision == c)).ToList()).ToList();

        var byUser = decisions.GroupBy(d => d.UserId).ToDictionary(g => g.Key, g => g.ToDictionary(d => d.PairId, d => d.Decision));
        var cohen = new List<RaterPairKappa>();
        var users = byUser.Keys.Order().ToList();
        for (var i = 0; i < users.Count; i++)
            for (var j = i + 1; j < users.Count; j++)
            {
                var shared = byUser[users[i]].Where(d => byUser[users[j]].ContainsKey(d.Key)).Select(d => (d.Value, byUser[users[j]][d.Key])).ToList();
                if (shared.Count == 0) continue;
                cohen.Add(new RaterPairKappa(names.GetValueOrDefault(users[i], users[i]), names.GetValueOrDefault(users[j], users[j]), shared.Count,
                    shared.Count(s => s.Item1 == s.Item2) / (double)shared.Count, Agreement.CohensKappa(shared)));
            }

        // Fleiss needs a constant number of raters per item: use the most common one.
        var raters = counts.GroupBy(c => c.Sum()).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).FirstOrDefault();
        return new AgreementSummary(overlapped.Count, Agreement.PercentAgreement(counts), cohen,
            raters?.Key ?? 0, raters?.Count() ?? 0, raters is null ? double.NaN : Agreement.FleissKappa(raters.ToList()));
    }

    private static async Task<List<FlaggedPair>> FlaggedAsync(BpoDbContext db, int datasetId, int limit, Dictionary<string, string> names, CancellationToken ct)
    {
        var flagged = await (from p in db.Pairs
                             where p.DatasetId == datasetId && p.Status == PairStatus.Flagged
                             orderby p.Id
                             select new { p.Id, p.RowVersion, p.Sample!.Prompt, Chosen = p.ChosenResponse!.Text, Rejected = p.RejectedResponse!.Text, p.FlagComment, p.Sample.ImageHash })
            .Take(limit).ToListAsync(ct);
        var ids = flagged.Select(f => f.Id).ToList();
        var decisions = (await db.PairDecisions.Where(d => ids.Contains(d.PairId)).ToListAsync(ct)).ToLookup(d => d.PairId);
        return flagged.Select(f => new FlaggedPair(f.Id, f.RowVersion, f.Prompt, f.Chosen, f.Rejected, f.FlagComment,
            decisions[f.Id].Select(d => $"{names.GetValueOrDefault(d.UserId, d.UserId)}: {d.Decision.ToString().ToLowerInvariant()}{(d.Reason is null ? "" : $" ({d.Reason})")}").ToList(), f.ImageHash)).ToList();
    }
}
