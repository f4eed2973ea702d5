using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Core.Review;

/// <summary>
/// Every change an annotator makes to a pair. Each call checks the row version the caller saw, so a second
/// reviewer's save raises <see cref="ReviewConflictException"/> instead of overwriting, and records a review event.
/// </summary>
public sealed class ReviewService(IDbContextFactory<BpoDbContext> dbFactory, IPairRecheck recheck)
{
    public const int MaxTextLength = 20_000;

    public Task<PairView> AcceptAsync(long pairId, long rowVersion, Reviewer who, CancellationToken ct = default) =>
        DecideAsync(pairId, rowVersion, who, Decision.Accepted, ReviewAction.Accept, reason: null, ct);

    public Task<PairView> RejectAsync(long pairId, long rowVersion, Reviewer who, string? reason, CancellationToken ct = default) =>
        DecideAsync(pairId, rowVersion, who, Decision.Rejected, ReviewAction.Reject, reason, ct);

    public Task<PairView> FlagAsync(long pairId, long rowVersion, Reviewer who, string? comment, CancellationToken ct = default) =>
        ChangeAsync(pairId, rowVersion, who, ReviewAction.Flag, async (db, pair, e) =>
        {
            await UpsertDecisionAsync(db, pair, who, Decision.Flagged, comment, ct);
            pair.Status = PairStatus.Flagged;
            pair.FlagComment = comment;
            e.Comment = comment;
        }, ct);

    public Task<PairView> SwapAsync(long pairId, long rowVersion, Reviewer who, CancellationToken ct = default) =>
        ChangeAsync(pairId, rowVersion, who, ReviewAction.Swap, (_, pair, _) =>
        {
            (pair.ChosenResponseId, pair.RejectedResponseId) = (pair.RejectedResponseId, pair.ChosenResponseId);
            return Task.CompletedTask;
        }, ct);

    /// <summary>A lead's final decision on a flagged, disputed or audited pair; annotators cannot change it afterwards.</summary>
    public Task<PairView> ResolveAsync(long pairId, long rowVersion, ClaimsPrincipal lead, PairStatus final, string? note, CancellationToken ct = default)
    {
        lead.RequireLead("resolve flags and disagreements");
        if (final is not (PairStatus.Accepted or PairStatus.Rejected)) throw new ArgumentException("A resolution accepts or rejects the pair.");
        var who = new Reviewer(lead.FindFirstValue(ClaimTypes.NameIdentifier) ?? lead.DisplayName(), lead.DisplayName());
        return ChangeAsync(pairId, rowVersion, who, ReviewAction.ResolveFlag, (_, pair, e) =>
        {
            pair.Status = final;
            pair.ResolvedBy = who.Name;
            if (final == PairStatus.Rejected) pair.RejectReason = note;
            (e.Reason, e.Comment) = (final.ToString(), string.IsNullOrWhiteSpace(note) ? null : note.Trim());
            return Task.CompletedTask;
        }, ct);
    }

    /// <summary>Saves edited text as a new version of the response; the original stays untouched.</summary>
    public Task<PairView> EditAsync(long pairId, long rowVersion, Reviewer who, PairSide side, string newText, CancellationToken ct = default)
    {
        newText = newText.Trim();
        if (newText.Length == 0) throw new ArgumentException("The edited text is empty.");
        if (newText.Length > MaxTextLength) throw new ArgumentException($"The edited text is longer than {MaxTextLength:N0} characters.");
        var action = side == PairSide.Chosen ? ReviewAction.EditChosen : ReviewAction.EditRejected;
        return ChangeAsync(pairId, rowVersion, who, action, async (db, pair, e) =>
        {
            var originalId = side == PairSide.Chosen ? pair.ChosenResponseId : pair.RejectedResponseId;
            var original = await db.Responses.AsNoTracking().FirstAsync(r => r.Id == originalId, ct);
            if (original.Text == newText) throw new ArgumentException("The edited text is the same as the current text.");
            var edited = new Response
            {
                SampleId = original.SampleId,
                Text = newText,
                Kind = original.Kind,
                Score = original.Score,
                PreviousVersionId = original.Id,
                CreatedAt = DateTime.UtcNow,
                Provenance = new GeneratorProvenance { Method = "edit", Model = who.Name, GeneratedAt = DateTime.UtcNow, ExtraJson = original.Provenance.Method is { } m ? $$"""{"editedFrom":"{{m}}"}""" : null },
            };
            db.Responses.Add(edited);
            await db.SaveChangesAsync(ct);
            if (side == PairSide.Chosen) pair.ChosenResponseId = edited.Id;
            else pair.RejectedResponseId = edited.Id;
            e.TextBefore = original.Text;
            e.TextAfter = newText;
        }, ct);
    }

    public async Task SkipAsync(long pairId, Reviewer who, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetId = await db.Pairs.Where(p => p.Id == pairId).Select(p => p.DatasetId).FirstAsync(ct);
        db.ReviewEvents.Add(NewEvent(pairId, datasetId, who, ReviewAction.Skip));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Reverts this reviewer's most recent change in the dataset. Returns the restored pair, or null if there is nothing to undo.</summary>
    public async Task<PairView?> UndoAsync(int datasetId, Reviewer who, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var last = await db.ReviewEvents
            .Where(e => e.DatasetId == datasetId && e.UserId == who.Id && !e.Undone && e.BulkActionId == null && e.Action != ReviewAction.Skip && e.Action != ReviewAction.Undo)
            .OrderByDescending(e => e.Id).FirstOrDefaultAsync(ct);
        if (last is null) return null;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var pair = await db.Pairs.FirstAsync(p => p.Id == last.PairId, ct);
        var textsBefore = (pair.ChosenResponseId, pair.RejectedResponseId);
        if (last.PreviousStatus is { } status) pair.Status = status;
        if (last.PreviousChosenResponseId is { } chosen) pair.ChosenResponseId = chosen;
        if (last.PreviousRejectedResponseId is { } rejected) pair.RejectedResponseId = rejected;
        if (last.PreviousDecisionSource is { } source) pair.DecisionSource = source;
        if (last.Action is ReviewAction.Accept or ReviewAction.Reject or ReviewAction.Flag)
        {
            await db.PairDecisions.Where(d => d.PairId == pair.Id && d.UserId == who.Id).ExecuteDeleteAsync(ct);
            if (last.Action == ReviewAction.Flag) pair.FlagComment = null;
        }
        last.Undone = true;
        await db.SaveChangesAsync(ct);
        await RecheckIfTextsChangedAsync(db, pair, textsBefore, ct);
        var undo = NewEvent(pair.Id, datasetId, who, ReviewAction.Undo);
        undo.Comment = $"undid {last.Action} (event {last.Id})";
        db.ReviewEvents.Add(undo);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return await ReviewQueries.LoadAsync(db, pair.Id, ct);
    }

    private Task<PairView> DecideAsync(long pairId, long rowVersion, Reviewer who, Decision decision, ReviewAction action, string? reason, CancellationToken ct) =>
        ChangeAsync(pairId, rowVersion, who, action, async (db, pair, e) =>
        {
            await UpsertDecisionAsync(db, pair, who, decision, reason, ct);
            await db.SaveChangesAsync(ct);
            var overlap = await db.Datasets.Where(d => d.Id == pair.DatasetId).Select(d => d.Overlap).FirstAsync(ct);
            var decisions = await db.PairDecisions.Where(d => d.PairId == pair.Id).Select(d => d.Decision).ToListAsync(ct);
            // With overlap N the pair stays open until N reviewers decided; disagreement goes to a lead.
            pair.Status = decisions.Count < Math.Max(1, overlap) ? PairStatus.Pending
                : decisions.Distinct().Count() > 1 ? PairStatus.Flagged
                : decision == Decision.Accepted ? PairStatus.Accepted : PairStatus.Rejected;
            if (decision == Decision.Rejected) pair.RejectReason = reason;
            e.Reason = reason;
        }, ct);

    private async Task<PairView> ChangeAsync(long pairId, long rowVersion, Reviewer who, ReviewAction action,
        Func<BpoDbContext, PreferencePair, ReviewEvent, Task> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var pair = await db.Pairs.FirstOrDefaultAsync(p => p.Id == pairId, ct) ?? throw new KeyNotFoundException($"There is no pair {pairId}.");
        if (pair.RowVersion != rowVersion) throw new ReviewConflictException((await ReviewQueries.LoadAsync(db, pairId, ct))!);
        if (pair.ResolvedBy is not null && action != ReviewAction.ResolveFlag)
            throw new InvalidOperationException($"{pair.ResolvedBy} resolved pair {pairId}; a lead's decision is final.");

        var e = NewEvent(pair.Id, pair.DatasetId, who, action);
        (e.PreviousStatus, e.PreviousChosenResponseId, e.PreviousRejectedResponseId) = (pair.Status, pair.ChosenResponseId, pair.RejectedResponseId);
        e.PreviousDecisionSource = pair.DecisionSource;
        try
        {
            await change(db, pair, e);
            if (action is ReviewAction.Accept or ReviewAction.Reject or ReviewAction.Flag or ReviewAction.ResolveFlag) pair.DecisionSource = DecisionSource.Person;
            pair.DecidedAt = DateTime.UtcNow;
            pair.DecidedBy = who.Name;
            db.ReviewEvents.Add(e);
            await db.SaveChangesAsync(ct);
            await RecheckIfTextsChangedAsync(db, pair, (e.PreviousChosenResponseId!.Value, e.PreviousRejectedResponseId!.Value), ct);
            await tx.CommitAsync(ct);
        }
        catch (Exception ex) when (ex is DbUpdateConcurrencyException || IsWriteConflict(ex))
        {
            await tx.RollbackAsync(ct);
            await using var fresh = await dbFactory.CreateDbContextAsync(ct);
            throw new ReviewConflictException((await ReviewQueries.LoadAsync(fresh, pairId, ct))!);
        }
        return (await ReviewQueries.LoadAsync(db, pairId, ct))!;
    }

    /// <summary>
    /// An edit, a swap or the undo of either gives the pair other texts: it is checked again in the same transaction,
    /// so its findings never describe texts it no longer has. <paramref name="before"/> holds the response ids it had.
    /// </summary>
    private async Task RecheckIfTextsChangedAsync(BpoDbContext db, PreferencePair pair, (long Chosen, long Rejected) before, CancellationToken ct)
    {
        if (before == (pair.ChosenResponseId, pair.RejectedResponseId)) return;
        await recheck.RecheckSamplesAsync(db.Database.GetDbConnection(), db.Database.CurrentTransaction!.GetDbTransaction(), pair.DatasetId, pair.SampleId, pair.SampleId, ct);
    }

    // SQLite reports a concurrent writer that committed first as SQLITE_BUSY(_SNAPSHOT) rather than a lost update.
    private static bool IsWriteConflict(Exception ex) =>
        (ex as Microsoft.Data.Sqlite.SqliteException ?? ex.InnerException as Microsoft.Data.Sqlite.SqliteException) is { SqliteErrorCode: 5 };

    private static async Task UpsertDecisionAsync(BpoDbContext db, PreferencePair pair, Reviewer who, Decision decision, string? reason, CancellationToken ct)
    {
        var existing = await db.PairDecisions.FirstOrDefaultAsync(d => d.PairId == pair.Id && d.UserId == who.Id, ct);
        if (existing is null)
            db.PairDecisions.Add(new PairDecision { PairId = pair.Id, DatasetId = pair.DatasetId, UserId = who.Id, Decision = decision, Reason = reason, At = DateTime.UtcNow });
        else
            (existing.Decision, existing.Reason, existing.At) = (decision, reason, DateTime.UtcNow);
    }

    private static ReviewEvent NewEvent(long pairId, int datasetId, Reviewer who, ReviewAction action) =>
        new() { PairId = pairId, DatasetId = datasetId, UserId = who.Id, UserName = who.Name, At = DateTime.UtcNow, Action = action };
}
