using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Feedback;

/// <summary>
/// How much a pair's errors weigh, per severity (HSA-DPO's and OPA-DPO's severity-weighted preference): a pair's
/// weight is 1 plus the weights of its rejected answer's confirmed spans, so a pair with no marked error weighs 1 and
/// one with a critical error and a minor one, at the defaults, 1 + 2 + 0.5 = 3.5.
/// </summary>
public sealed record SeverityWeights(double Minor = 0.5, double Major = 1, double Critical = 2)
{
    public static readonly SeverityWeights Default = new();

    public double Of(ErrorSeverity severity) => severity switch
    {
        ErrorSeverity.Minor => Minor,
        ErrorSeverity.Major => Major,
        _ => Critical,
    };

    public double PairWeight(IEnumerable<ErrorSeverity> severities) => 1 + severities.Sum(Of);

    public SeverityWeights Validated()
    {
        foreach (var (name, value) in new[] { ("minor", Minor), ("major", Major), ("critical", Critical) })
            if (!double.IsFinite(value) || value is < 0 or > 100) throw new InvalidInputError($"The {name} weight must be between 0 and 100, not {value}.");
        return this;
    }
}

/// <summary>A dataset's severity weights: leads set them; exports and approval read them.</summary>
public sealed class PairWeights(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit)
{
    public async Task<SeverityWeights> GetAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("see the severity weights");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ReadAsync(db, datasetId, ct);
    }

    public async Task SetAsync(int datasetId, SeverityWeights weights, ClaimsPrincipal lead, CancellationToken ct = default)
    {
        lead.RequireLead("set the severity weights");
        weights.Validated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await db.Datasets.FirstOrDefaultAsync(d => d.Id == datasetId, ct) ?? throw new NotFoundError($"There is no dataset {datasetId}.");
        (dataset.MinorErrorWeight, dataset.MajorErrorWeight, dataset.CriticalErrorWeight) = (weights.Minor, weights.Major, weights.Critical);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(lead.DisplayName(), FeedbackAudit.SeverityWeightsSet, $"dataset {datasetId}", $"minor {weights.Minor}, major {weights.Major}, critical {weights.Critical}", ct);
    }

    /// <summary>
    /// Writes each item's weight onto an approved version's rows, so a span marked or a weight changed later does not
    /// change the version. Only items whose rejected answer has confirmed spans are read (people mark few), weighed by
    /// <see cref="SeverityWeights.PairWeight"/>, the formula's one home, and written by primary key, one statement per
    /// distinct weight; the rest keep NULL, weight 1.
    /// </summary>
    internal static async Task FreezeAsync(BpoDbContext db, int datasetId, int versionId, CancellationToken ct)
    {
        var weights = await ReadAsync(db, datasetId, ct);
        var spans = await (
            from i in db.DatasetVersionItems
            where i.DatasetVersionId == versionId
            from s in db.ErrorSpans
            where s.ResponseId == i.RejectedResponseId && s.Status == SpanStatus.Confirmed
            select new { i.Id, s.Severity }).AsNoTracking().ToListAsync(ct);
        var itemsByWeight = spans.GroupBy(s => s.Id, s => s.Severity).GroupBy(item => weights.PairWeight(item), item => item.Key);
        foreach (var group in itemsByWeight)
            foreach (var chunk in group.Chunk(500))
                await db.DatasetVersionItems.Where(i => chunk.Contains(i.Id)).ExecuteUpdateAsync(u => u.SetProperty(i => i.Weight, group.Key), ct);
    }

    /// <summary>The weights of the given pairs' rejected answers that have confirmed spans, by response; the others weigh 1.</summary>
    internal static async Task<Dictionary<long, double>> OfAsync(BpoDbContext db, int datasetId, IQueryable<Datasets.PreferencePair> pairs, CancellationToken ct)
    {
        var weights = await ReadAsync(db, datasetId, ct);
        var spans = await (
            from p in pairs
            from s in db.ErrorSpans
            where s.ResponseId == p.RejectedResponseId && s.Status == SpanStatus.Confirmed
            select new { s.Id, s.ResponseId, s.Severity }).AsNoTracking().ToListAsync(ct);
        // A negative in two pairs of the range joins its spans twice.
        return spans.DistinctBy(s => s.Id).GroupBy(s => s.ResponseId, s => s.Severity).ToDictionary(g => g.Key, g => weights.PairWeight(g));
    }

    internal static async Task<SeverityWeights> ReadAsync(BpoDbContext db, int datasetId, CancellationToken ct) =>
        await db.Datasets.Where(d => d.Id == datasetId).Select(d => new SeverityWeights(d.MinorErrorWeight, d.MajorErrorWeight, d.CriticalErrorWeight)).FirstOrDefaultAsync(ct)
        ?? SeverityWeights.Default;
}
