using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Dashboard;

public sealed record AuditedPair(long PairId, long RowVersion, string Prompt, string Chosen, string Rejected, string? DecidedBy, DateTime? DecidedAt, string? ImageHash = null);

public sealed record PairHistoryEntry(DateTime At, string User, ReviewAction Action, string? TextBefore, string? TextAfter, string? Reason, string? Comment, bool Undone);

/// <summary>A lead's second look: random accepted pairs, and the full history of any pair.</summary>
public sealed class LeadAudit(IDbContextFactory<BpoDbContext> dbFactory)
{
    public const int MaxSample = 200;

    public async Task<IReadOnlyList<AuditedPair>> SampleAcceptedAsync(int datasetId, int count, ClaimsPrincipal lead, CancellationToken ct = default)
    {
        lead.RequireLead("sample pairs for audit");
        if (count is < 1 or > MaxSample) throw new ArgumentException($"Sample between 1 and {MaxSample} pairs.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Accepted)
            .OrderBy(_ => EF.Functions.Random()).Take(count)
            .Select(p => new AuditedPair(p.Id, p.RowVersion, p.Sample!.Prompt, p.ChosenResponse!.Text, p.RejectedResponse!.Text, p.DecidedBy, p.DecidedAt, p.Sample.ImageHash))
            .ToListAsync(ct);
    }

    /// <summary>Every event on a pair, oldest first. Annotators see their own comments and reasons only; leads see all.</summary>
    public async Task<IReadOnlyList<PairHistoryEntry>> HistoryAsync(long pairId, ClaimsPrincipal viewer, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var events = await db.ReviewEvents.AsNoTracking().Where(e => e.PairId == pairId).OrderBy(e => e.Id).ToListAsync(ct);
        var me = viewer.FindFirstValue(ClaimTypes.NameIdentifier);
        var lead = viewer.IsLead();
        return events.Select(e =>
        {
            var visible = lead || e.UserId == me;
            return new PairHistoryEntry(e.At, e.UserName ?? e.UserId, e.Action, e.TextBefore, e.TextAfter, visible ? e.Reason : null, visible ? e.Comment : null, e.Undone);
        }).ToList();
    }
}
