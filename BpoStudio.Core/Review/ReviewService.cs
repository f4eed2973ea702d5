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
public sealed class ReviewService(IDbContextFactory<BpoDbContext> dbFactory, IPairRecheck recheck, TimeProvider clock)
{
    public const int MaxTextLength = 20_000;

    // A decision answers with its outcome, not the whole pair: the page moves on to the next pair and loading the decided
    // one again (four queries) was a fifth of a decision's server time. Callers that show the pair load it.
    public Task<PairOutcome> AcceptAsync(long pairId, long rowVersion, ClaimsPrincipal actor, CancellationToken ct = default) =>
        DecideAsync(pairId, rowVersion, Reviewer.Of(actor), Decision.Accepted, ReviewAction.Accept, reason: null, ct);

    public Task<PairOutcome> RejectAsync(long pairId, long rowVersion, ClaimsPrincipal actor, string? reason, CancellationToken ct = default) =>
        DecideAsync(pairId, rowVersion, Reviewer.Of(actor), Decision.Rejected, ReviewAction.Reject, reason, ct);

    public Task<PairOutcome> FlagAsync(long pairId, long rowVersion, ClaimsPrincipal actor, string? comment, CancellationToken ct = default)
    {
        var who = Reviewer.Of(actor);
        return ChangeAsync(pairId, rowVersion, who, ReviewAction.Flag, (db, state, e) =>
        {
            var pair = state.Pair;
            UpsertDecision(db, state, who, Decision.Flagged, comment);
            pair.Status = PairStatus.Flagged;
            pair.FlagComment = comment;
            e.Comment = comment;
            return Task.CompletedTask;
        }, ct);
    }

    public Task<PairView> SwapAsync(long pairId, long rowVersion, ClaimsPrincipal actor, CancellationToken ct = default) =>
        ChangeAndLoadAsync(pairId, rowVersion, Reviewer.Of(actor), ReviewAction.Swap, async (db, state, _) =>
        {
            var pair = state.Pair;
            await RefuseForImagePairAsync(db, pair, "swapped", ct);
            (pair.ChosenResponseId, pair.RejectedResponseId) = (pair.RejectedResponseId, pair.ChosenResponseId);
        }, ct);

    // An image pair's sides share one answer and differ in their image: swapping or editing one side would turn it into
    // a text pair whose chosen side sits under the wrong image.
    private static async Task RefuseForImagePairAsync(BpoDbContext db, PreferencePair pair, string what, CancellationToken ct)
    {
        if (await db.Responses.AnyAsync(r => r.Id == pair.RejectedResponseId && r.Kind == ResponseKind.ImagePair, ct))
            throw new ReviewRefusedException($"Pair {pair.Id} is an image pair: its two sides share one answer and differ in their image, so it cannot be {what}. Accept or reject it.");
    }

    /// <summary>A lead's final decision on a flagged, disputed or audited pair; annotators cannot change it afterwards.</summary>
    public Task<PairView> ResolveAsync(long pairId, long rowVersion, ClaimsPrincipal lead, PairStatus final, string? note, CancellationToken ct = default)
    {
        lead.RequireLead("resolve flags and disagreements");
        if (final is not (PairStatus.Accepted or PairStatus.Rejected)) throw new InvalidInputError("A resolution accepts or rejects the pair.");
        var who = Reviewer.Of(lead);
        return ChangeAndLoadAsync(pairId, rowVersion, who, ReviewAction.ResolveFlag, (_, state, e) =>
        {
            var pair = state.Pair;
            pair.Status = final;
            pair.ResolvedBy = who.Name;
            if (final == PairStatus.Rejected) pair.RejectReason = note;
            (e.Reason, e.Comment) = (final.ToString(), string.IsNullOrWhiteSpace(note) ? null : note.Trim());
            return Task.CompletedTask;
        }, ct);
    }

    /// <summary>Saves edited text as a new version of the response; the original stays untouched.</summary>
    public Task<PairView> EditAsync(long pairId, long rowVersion, ClaimsPrincipal actor, PairSide side, string newText, CancellationToken ct = default)
    {
        var who = Reviewer.Of(actor);
        newText = newText.Trim();
        if (newText.Length == 0) throw new InvalidInputError("The edited text is empty.");
        if (newText.Length > MaxTextLength) throw new InvalidInputError($"The edited text is longer than {MaxTextLength:N0} characters.");
        var action = side == PairSide.Chosen ? ReviewAction.EditChosen : ReviewAction.EditRejected;
        return ChangeAndLoadAsync(pairId, rowVersion, who, action, async (db, state, e) =>
        {
            var pair = state.Pair;
            await RefuseForImagePairAsync(db, pair, "edited", ct);
            var originalId = side == PairSide.Chosen ? pair.ChosenResponseId : pair.RejectedResponseId;
            var original = await db.Responses.AsNoTracking().FirstAsync(r => r.Id == originalId, ct);
            if (original.Text == newText) throw new InvalidInputError("The edited text is the same as the current text.");
            var edited = new Response
            {
                SampleId = original.SampleId,
                Text = newText,
                Kind = original.Kind,
                Score = original.Score,
                PreviousVersionId = original.Id,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
                Provenance = new GeneratorProvenance { Method = "edit", Model = who.Name, GeneratedAt = clock.GetUtcNow().UtcDateTime, ExtraJson = original.Provenance.Method is { } m ? $$"""{"editedFrom":"{{m}}"}""" : null },
            };
            db.Responses.Add(edited);
            await db.SaveChangesAsync(ct);
            await Feedback.ErrorSpanService.CarryAsync(db, original, edited, ct);
            await Feedback.RatingService.CarryAsync(db, original.Id, edited.Id, edited.CreatedAt, ct);
            if (side == PairSide.Chosen) pair.ChosenResponseId = edited.Id;
            else pair.RejectedResponseId = edited.Id;
            e.TextBefore = original.Text;
            e.TextAfter = newText;
        }, ct);
    }

    public async Task SkipAsync(long pairId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        var who = Reviewer.Of(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetId = await db.Pairs.Where(p => p.Id == pairId).Select(p => p.DatasetId).FirstAsync(ct);
        db.ReviewEvents.Add(NewEvent(pairId, datasetId, who, ReviewAction.Skip));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Reverts this reviewer's most recent change in the dataset. Returns the restored pair, or null if there is nothing
    /// to undo. Refused (<see cref="ReviewRefusedException"/>) when a lead has resolved the pair since, or when someone
    /// else changed it after an edit or swap: undoing then would discard their work.
    /// </summary>
    public async Task<PairView?> UndoAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        var who = Reviewer.Of(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var last = await db.ReviewEvents
            .Where(e => e.DatasetId == datasetId && e.UserId == who.Id && !e.Undone && e.BulkActionId == null && e.Action != ReviewAction.Skip && e.Action != ReviewAction.Undo)
            .OrderByDescending(e => e.Id).FirstOrDefaultAsync(ct);
        if (last is null) return null;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockPairAsync(db, last.PairId, ct);
        var pair = await db.Pairs.FirstAsync(p => p.Id == last.PairId, ct);
        if (pair.ResolvedBy is not null && last.Action != ReviewAction.ResolveFlag)
            throw new ReviewRefusedException($"{pair.ResolvedBy} resolved this pair after your {Describe(last.Action)}; a lead's decision is final, so it cannot be undone.");
        var later = await db.ReviewEvents
            .Where(e => e.PairId == pair.Id && e.Id > last.Id && !e.Undone && e.UserId != who.Id && e.Action != ReviewAction.Skip && e.Action != ReviewAction.Undo)
            .OrderBy(e => e.Id).Select(e => new { e.UserName, e.Action }).ToListAsync(ct);
        if (later.Count > 0 && last.Action is ReviewAction.EditChosen or ReviewAction.EditRejected or ReviewAction.Swap)
            throw new ReviewRefusedException($"{later[0].UserName} changed this pair after your {Describe(last.Action)} ({Describe(later[0].Action)}); undoing it would discard their work.");

        var textsBefore = (pair.ChosenResponseId, pair.RejectedResponseId);
        if (last.PreviousChosenResponseId is { } chosen) pair.ChosenResponseId = chosen;
        if (last.PreviousRejectedResponseId is { } rejected) pair.RejectedResponseId = rejected;
        if (last.PreviousDecisionSource is { } source) pair.DecisionSource = source;
        if (last.Action == ReviewAction.ResolveFlag) pair.ResolvedBy = null;
        if (last.Action is ReviewAction.Accept or ReviewAction.Reject or ReviewAction.Flag)
        {
            await db.PairDecisions.Where(d => d.PairId == pair.Id && d.UserId == who.Id).ExecuteDeleteAsync(ct);
            if (last.Action == ReviewAction.Flag) pair.FlagComment = null;
            // Others decided after this one (overlap): the pair's status is what their decisions make it, not what it was.
            var others = later.Count == 0 ? [] : await db.PairDecisions.Where(d => d.PairId == pair.Id).Select(d => d.Decision).ToListAsync(ct);
            pair.Status = others.Count > 0 ? StatusFor(others, await OverlapAsync(db, pair.DatasetId, ct)) : last.PreviousStatus ?? pair.Status;
        }
        else if (last.PreviousStatus is { } status) pair.Status = status;
        last.Undone = true;
        await db.SaveChangesAsync(ct);
        await RecheckIfTextsChangedAsync(db, pair, textsBefore, ct);
        var undo = NewEvent(pair.Id, datasetId, who, ReviewAction.Undo);
        undo.Comment = $"undid {last.Action} (event {last.Id})";
        db.ReviewEvents.Add(undo);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return await ReviewQueries.LoadAsync(db, pair.Id, ct, who.Id);
    }

    /// <summary>What the reviewers' decisions make a pair: open until <paramref name="overlap"/> decided, a lead's when any flag or disagreement.</summary>
    public static PairStatus StatusFor(IReadOnlyCollection<Decision> decisions, int overlap) =>
        decisions.Contains(Decision.Flagged) ? PairStatus.Flagged
        : decisions.Count < Math.Max(1, overlap) ? PairStatus.Pending
        : decisions.Distinct().Count() > 1 ? PairStatus.Flagged
        : decisions.First() == Decision.Accepted ? PairStatus.Accepted : PairStatus.Rejected;

    private static string Describe(ReviewAction action) => action switch
    {
        ReviewAction.EditChosen => "edit of the chosen answer",
        ReviewAction.EditRejected => "edit of the negative",
        ReviewAction.ResolveFlag => "resolution",
        _ => action.ToString().ToLowerInvariant(),
    };

    private Task<PairOutcome> DecideAsync(long pairId, long rowVersion, Reviewer who, Decision decision, ReviewAction action, string? reason, CancellationToken ct) =>
        ChangeAsync(pairId, rowVersion, who, action, (db, state, e) =>
        {
            var pair = state.Pair;
            UpsertDecision(db, state, who, decision, reason);
            pair.Status = StatusFor([.. state.Decisions.Select(d => d.Decision)], state.Overlap);
            if (decision == Decision.Rejected && pair.Status != PairStatus.Pending) pair.RejectReason = reason;
            e.Reason = reason;
            return Task.CompletedTask;
        }, ct);

    private async Task<PairView> ChangeAndLoadAsync(long pairId, long rowVersion, Reviewer who, ReviewAction action,
        Func<BpoDbContext, PairState, ReviewEvent, Task> change, CancellationToken ct)
    {
        await ChangeAsync(pairId, rowVersion, who, action, change, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await ReviewQueries.LoadAsync(db, pairId, ct, who.Id))!;
    }

    private async Task<PairOutcome> ChangeAsync(long pairId, long rowVersion, Reviewer who, ReviewAction action,
        Func<BpoDbContext, PairState, ReviewEvent, Task> change, CancellationToken ct)
    {
        // SQLite reports a writer that committed first as busy: one retry sees its work and decides afresh.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryChangeAsync(pairId, rowVersion, who, action, change, ct);
            }
            catch (Exception ex) when (attempt == 1 && IsWriteConflict(ex))
            {
            }
            catch (Exception ex) when (ex is DbUpdateConcurrencyException || IsWriteConflict(ex))
            {
                await using var fresh = await dbFactory.CreateDbContextAsync(ct);
                throw new ReviewConflictException((await ReviewQueries.LoadAsync(fresh, pairId, ct, who.Id))!);
            }
        }
    }

    private async Task<PairOutcome> TryChangeAsync(long pairId, long rowVersion, Reviewer who, ReviewAction action,
        Func<BpoDbContext, PairState, ReviewEvent, Task> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockPairAsync(db, pairId, ct);
        var state = await PairStateQuery.For(db)(db, pairId) ?? throw new NotFoundError($"There is no pair {pairId}.");
        var pair = state.Pair;
        if (pair.ResolvedBy is not null && action != ReviewAction.ResolveFlag)
            throw new ReviewRefusedException($"{pair.ResolvedBy} resolved pair {pairId} as {pair.Status}; a lead's decision is final.");
        if (pair.RowVersion != rowVersion)
        {
            // Others completed the pair meanwhile: this decision is not needed, and asking to repeat it would waste the keypress.
            if (action is ReviewAction.Accept or ReviewAction.Reject or ReviewAction.Flag && pair.Status != PairStatus.Pending
                && !state.Decisions.Any(d => d.UserId == who.Id))
            {
                await ReleaseAsync(db, pairId, who, ct);
                await tx.CommitAsync(ct);
                throw new PairAlreadyDecidedException(pairId, pair.Status, pair.DecidedBy);
            }
            throw new ReviewConflictException((await ReviewQueries.LoadAsync(db, pairId, ct, who.Id))!);
        }

        var e = NewEvent(pair.Id, pair.DatasetId, who, action);
        (e.PreviousStatus, e.PreviousChosenResponseId, e.PreviousRejectedResponseId) = (pair.Status, pair.ChosenResponseId, pair.RejectedResponseId);
        e.PreviousDecisionSource = pair.DecisionSource;
        await change(db, state, e);
        // One of several overlapping decisions leaves the pair open and its row untouched, so its version stays what
        // the other reviewers loaded: their decisions are independent, not edit conflicts.
        var partial = action is ReviewAction.Accept or ReviewAction.Reject && pair.Status == PairStatus.Pending && e.PreviousStatus == PairStatus.Pending;
        if (!partial)
        {
            if (action is ReviewAction.Accept or ReviewAction.Reject or ReviewAction.Flag or ReviewAction.ResolveFlag) pair.DecisionSource = DecisionSource.Person;
            pair.DecidedAt = clock.GetUtcNow().UtcDateTime;
            pair.DecidedBy = who.Name;
        }
        db.ReviewEvents.Add(e);
        await db.SaveChangesAsync(ct);
        if (action is ReviewAction.Accept or ReviewAction.Reject or ReviewAction.Flag) await ReleaseAsync(db, pairId, who, ct);
        await RecheckIfTextsChangedAsync(db, pair, (e.PreviousChosenResponseId!.Value, e.PreviousRejectedResponseId!.Value), ct);
        await tx.CommitAsync(ct);
        return new PairOutcome(pair.Id, pair.Status, pair.RowVersion);
    }

    // A decided pair is no longer held: under overlap N the decision itself now counts towards N.
    private static Task<int> ReleaseAsync(BpoDbContext db, long pairId, Reviewer who, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""DELETE FROM "PairReservations" WHERE "PairId" = {pairId} AND "UserId" = {who.Id}""", ct);

    // PostgreSQL reads committed rows, so two reviewers counting decisions at once could both see too few: take the
    // pair's row lock first. SQLite has one writer at a time already.
    private static async Task LockPairAsync(BpoDbContext db, long pairId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Pairs" WHERE "Id" = {pairId} FOR UPDATE""", ct);
    }

    private static Task<int> OverlapAsync(BpoDbContext db, int datasetId, CancellationToken ct) =>
        db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Overlap).FirstAsync(ct);

    /// <summary>
    /// An edit, a swap or the undo of either gives the pair other texts: it is checked again in the same transaction,
    /// so its findings never describe texts it no longer has. <paramref name="before"/> holds the response ids it had.
    /// </summary>
    private async Task RecheckIfTextsChangedAsync(BpoDbContext db, PreferencePair pair, (long Chosen, long Rejected) before, CancellationToken ct)
    {
        if (before == (pair.ChosenResponseId, pair.RejectedResponseId)) return;
        await Judging.ScoreService.ForgetPairAsync(db, pair.DatasetId, pair.Id, ct);
        await recheck.RecheckSamplesAsync(db.Database.GetDbConnection(), db.Database.CurrentTransaction!.GetDbTransaction(), pair.DatasetId, pair.SampleId, pair.SampleId, ct);
    }

    // SQLite reports a concurrent writer that committed first as SQLITE_BUSY(_SNAPSHOT) rather than a lost update.
    private static bool IsWriteConflict(Exception ex) =>
        (ex as Microsoft.Data.Sqlite.SqliteException ?? ex.InnerException as Microsoft.Data.Sqlite.SqliteException) is { SqliteErrorCode: 5 };

    private void UpsertDecision(BpoDbContext db, PairState state, Reviewer who, Decision decision, string? reason)
    {
        var existing = state.Decisions.FirstOrDefault(d => d.UserId == who.Id);
        if (existing is null)
        {
            var added = new PairDecision { PairId = state.Pair.Id, DatasetId = state.Pair.DatasetId, UserId = who.Id, Decision = decision, Reason = reason, At = clock.GetUtcNow().UtcDateTime };
            db.PairDecisions.Add(added);
            state.Decisions.Add(added);
        }
        else
            (existing.Decision, existing.Reason, existing.At) = (decision, reason, clock.GetUtcNow().UtcDateTime);
    }

    /// <summary>A pair as a change meets it: tracked, with its dataset's overlap and every reviewer's decision on it.</summary>
    private sealed record PairState(PreferencePair Pair, int Overlap, List<PairDecision> Decisions);

    // One compiled query (a decision's hot path): the pair, the overlap and the decisions were three look-ups.
    private static readonly CompiledPerModel<Func<BpoDbContext, long, Task<PairState?>>> PairStateQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, long pairId) =>
        db.Pairs.Where(p => p.Id == pairId)
            .Select(p => new PairState(p, db.Datasets.Where(d => d.Id == p.DatasetId).Select(d => d.Overlap).FirstOrDefault(),
                db.PairDecisions.Where(d => d.PairId == p.Id).ToList()))
            .FirstOrDefault()));

    private ReviewEvent NewEvent(long pairId, int datasetId, Reviewer who, ReviewAction action) =>
        new() { PairId = pairId, DatasetId = datasetId, UserId = who.Id, UserName = who.Name, At = clock.GetUtcNow().UtcDateTime, Action = action };
}
