using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Dashboard;

public sealed record AuditedPair(long PairId, long RowVersion, string Prompt, string Chosen, string Rejected, string? DecidedBy, DateTime? DecidedAt, string? ImageHash = null);

/// <param name="Action">A review action's name, or what was done to an error span ("marked error", "removed error", ...).</param>
public sealed record PairHistoryEntry(DateTime At, string User, string Action, string? TextBefore, string? TextAfter, string? Reason, string? Comment, bool Undone);

/// <summary>A lead's second look: random accepted pairs, and the full history of any pair.</summary>
public sealed class LeadAudit(IDbContextFactory<BpoDbContext> dbFactory)
{
    public const int MaxSample = 200;

    public async Task<IReadOnlyList<AuditedPair>> SampleAcceptedAsync(int datasetId, int count, ClaimsPrincipal lead, CancellationToken ct = default)
    {
        lead.RequireLead("sample pairs for audit");
        if (count is < 1 or > MaxSample) throw new InvalidInputError($"Sample between 1 and {MaxSample} pairs.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Accepted)
            .OrderBy(_ => EF.Functions.Random()).Take(count)
            .Select(p => new AuditedPair(p.Id, p.RowVersion, p.Sample!.Prompt, p.ChosenResponse!.Text, p.RejectedResponse!.Text, p.DecidedBy, p.DecidedAt, p.Sample.ImageHash))
            .ToListAsync(ct);
    }

    /// <summary>
    /// Every event on a pair, oldest first, with the error spans marked on its rejected answer (each of its text versions).
    /// Annotators see their own comments and reasons only; leads see all.
    /// </summary>
    public async Task<IReadOnlyList<PairHistoryEntry>> HistoryAsync(long pairId, ClaimsPrincipal viewer, CancellationToken ct = default)
    {
        viewer.RequireReviewer("see a pair's history");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var events = await db.ReviewEvents.AsNoTracking().Where(e => e.PairId == pairId).OrderBy(e => e.Id).ToListAsync(ct);
        var me = viewer.FindFirstValue(ClaimTypes.NameIdentifier);
        var lead = viewer.IsLead();
        var history = events.Select(e =>
        {
            var visible = lead || e.UserId == me;
            return new PairHistoryEntry(e.At, e.UserName ?? e.UserId, e.Action.ToString(), e.TextBefore, e.TextAfter, visible ? e.Reason : null, visible ? e.Comment : null, e.Undone);
        }).ToList();
        history.AddRange(await SpanHistoryAsync(db, pairId, ct));
        return [.. history.OrderBy(h => h.At)];
    }

    private static async Task<List<PairHistoryEntry>> SpanHistoryAsync(BpoDbContext db, long pairId, CancellationToken ct)
    {
        var versions = new List<long>();
        for (var id = await db.Pairs.Where(p => p.Id == pairId).Select(p => (long?)p.RejectedResponseId).FirstOrDefaultAsync(ct); id is { } current;
             id = await db.Responses.Where(r => r.Id == current).Select(r => r.PreviousVersionId).FirstAsync(ct))
            versions.Add(current);
        var spans = await db.ErrorSpans.AsNoTracking().Where(s => versions.Contains(s.ResponseId)).OrderBy(s => s.Id).ToListAsync(ct);
        var entries = new List<PairHistoryEntry>();
        foreach (var span in spans)
        {
            var what = $"'{span.Text}' · {span.Type.ToString().ToLowerInvariant()} · {span.Severity.ToString().ToLowerInvariant()}";
            // A span an edit carried intact is the edit's doing, already in the history; a stale one needs a look.
            if (span.CarriedFromId is null)
                entries.Add(new PairHistoryEntry(span.CreatedAt, span.CreatedBy ?? "unknown", span.Status == Feedback.SpanStatus.Dismissed ? "dismissed suggestion" : "marked error", null, null, null, what, false));
            // Carried intact, a span keeps its characters; one the edit touched holds other characters now.
            else if (span.Status == Feedback.SpanStatus.Stale || spans.FirstOrDefault(s => s.Id == span.CarriedFromId) is { } source && source.Text != span.Text)
                entries.Add(new PairHistoryEntry(span.CreatedAt, "edit", "error carried stale by an edit", null, null, null, what, false));
            if (span.ChangedAt is { } at)
                entries.Add(new PairHistoryEntry(at, span.ChangedBy ?? "unknown", span.Status == Feedback.SpanStatus.Removed ? "removed error" : "changed error", null, null, null, what, false));
        }
        return entries;
    }
}
