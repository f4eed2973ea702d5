using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Feedback;

/// <summary>A rejected answer's error spans as review shows them: those stored (confirmed and stale) and the suggestions still open.</summary>
public sealed record SpanSheet(long ResponseId, string Text, IReadOnlyList<ErrorSpan> Spans, IReadOnlyList<SuggestedSpan> Suggestions);

/// <summary>Marks, confirms, changes and removes error spans on a pair's rejected answer. Every reviewer may; each call checks.</summary>
public sealed class ErrorSpanService(IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    public async Task<SpanSheet> SheetAsync(long pairId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("see error spans");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The review page asks this for every pair: the answer, its spans and its checked claims in one query.
        var row = await SheetQuery.For(db)(db, pairId) ?? throw new NotFoundError($"There is no pair {pairId}.");
        row.Rejected.Sample = row.Sample;
        return await SheetAsync(db, Checked(row.Rejected, pairId), ct, row.Stored, row.FalseClaims);
    }

    /// <summary>
    /// Marks characters [start, start + length) of the pair's rejected answer as an error. <paramref name="responseId"/>
    /// is the text version the caller saw (<see cref="SpanSheet.ResponseId"/>): offsets mean nothing on another one.
    /// </summary>
    public async Task<SpanSheet> MarkAsync(long pairId, long responseId, int start, int length, ErrorType type, ErrorSeverity severity, ClaimsPrincipal actor,
        SpanOrigin origin = SpanOrigin.Annotator, CancellationToken ct = default)
    {
        actor.RequireReviewer("mark error spans");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rejected = await RejectedAsync(db, pairId, ct, responseId);
        if (length <= 0) throw new InvalidInputError("Choose at least one character to mark.");
        if (start < 0 || start + length > rejected.Text.Length)
            throw new InvalidInputError($"Characters {start}-{start + length} lie outside the answer, which has {rejected.Text.Length}.");
        var text = rejected.Text.Substring(start, length);
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidInputError("Only spaces were chosen; mark the words that are wrong.");
        var live = await db.ErrorSpans.Where(s => s.ResponseId == rejected.Id && (s.Status == SpanStatus.Confirmed || s.Status == SpanStatus.Stale)).ToListAsync(ct);
        if (live.FirstOrDefault(s => s.Overlaps(start, length)) is { } overlap)
            throw new InvalidInputError($"'{text}' overlaps the span already marked on '{overlap.Text}'; change or remove that one first.");
        db.ErrorSpans.Add(new ErrorSpan
        {
            DatasetId = rejected.Sample!.DatasetId, ResponseId = rejected.Id, Start = start, Length = length, Text = text, Type = type, Severity = severity,
            Status = SpanStatus.Confirmed, Origin = origin, CreatedBy = actor.DisplayName(), CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        return await SheetAsync(db, rejected, ct);
    }

    /// <summary>A suggestion stored as a confirmed span, with the type and severity the reviewer gives it.</summary>
    public Task<SpanSheet> ConfirmAsync(long pairId, long responseId, SuggestedSpan suggestion, ErrorType type, ErrorSeverity severity, ClaimsPrincipal actor, CancellationToken ct = default) =>
        MarkAsync(pairId, responseId, suggestion.Start, suggestion.Length, type, severity, actor, suggestion.Origin, ct);

    /// <summary>A suggestion the reviewer does not agree with: remembered, so it is not offered again for this text.</summary>
    public async Task<SpanSheet> DismissAsync(long pairId, long responseId, SuggestedSpan suggestion, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("dismiss suggested spans");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rejected = await RejectedAsync(db, pairId, ct, responseId);
        if (!(await SuggestionsAsync(db, rejected, ct)).Contains(suggestion))
            throw new InvalidInputError($"Nothing is suggested on '{suggestion.Text}' in this answer.");
        db.ErrorSpans.Add(new ErrorSpan
        {
            DatasetId = rejected.Sample!.DatasetId, ResponseId = rejected.Id, Start = suggestion.Start, Length = suggestion.Length, Text = suggestion.Text,
            Type = suggestion.Type, Severity = suggestion.Severity, Status = SpanStatus.Dismissed, Origin = suggestion.Origin, CreatedBy = actor.DisplayName(), CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        return await SheetAsync(db, rejected, ct);
    }

    /// <summary>A new type or severity; a stale span confirmed as it now stands.</summary>
    public Task<SpanSheet> ChangeAsync(long spanId, ErrorType type, ErrorSeverity severity, ClaimsPrincipal actor, CancellationToken ct = default) =>
        UpdateAsync(spanId, actor, "change error spans", span => (span.Type, span.Severity, span.Status) = (type, severity, SpanStatus.Confirmed), ct);

    public Task<SpanSheet> RemoveAsync(long spanId, ClaimsPrincipal actor, CancellationToken ct = default) =>
        UpdateAsync(spanId, actor, "remove error spans", span => span.Status = SpanStatus.Removed, ct);

    private async Task<SpanSheet> UpdateAsync(long spanId, ClaimsPrincipal actor, string toDo, Action<ErrorSpan> change, CancellationToken ct)
    {
        actor.RequireReviewer(toDo);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var span = await db.ErrorSpans.FirstOrDefaultAsync(s => s.Id == spanId, ct) ?? throw new NotFoundError($"There is no error span {spanId}.");
        if (span.Status is SpanStatus.Removed or SpanStatus.Dismissed) throw new InvalidInputError($"The span on '{span.Text}' was already removed.");
        if (await db.Responses.AnyAsync(r => r.PreviousVersionId == span.ResponseId, ct))
            throw new ReviewRefusedException($"The span on '{span.Text}' is on an earlier text of the answer: someone edited it since, and its spans were carried to the new text, shown again now.");
        change(span);
        (span.ChangedBy, span.ChangedAt) = (actor.DisplayName(), clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        var rejected = await db.Responses.AsNoTracking().Include(r => r.Sample).FirstAsync(r => r.Id == span.ResponseId, ct);
        return await SheetAsync(db, rejected, ct);
    }

    /// <summary>
    /// After an edit made <paramref name="edited"/> from <paramref name="original"/>: each live span moves with its
    /// characters, or is carried as stale when the edit touched them. Runs in the edit's own transaction.
    /// </summary>
    internal static async Task CarryAsync(BpoDbContext db, Response original, Response edited, CancellationToken ct)
    {
        var spans = await db.ErrorSpans.AsNoTracking().Where(s => s.ResponseId == original.Id && (s.Status == SpanStatus.Confirmed || s.Status == SpanStatus.Stale)).ToListAsync(ct);
        if (spans.Count == 0) return;
        var map = SpanAnchoring.Map(original.Text, edited.Text);
        foreach (var span in spans)
        {
            var (start, length, intact) = SpanAnchoring.Carry(map, span.Start, span.Length, edited.Text.Length);
            db.ErrorSpans.Add(new ErrorSpan
            {
                DatasetId = span.DatasetId, ResponseId = edited.Id, Start = start, Length = length, Text = edited.Text.Substring(start, length), Type = span.Type,
                Severity = span.Severity, Status = intact ? span.Status : SpanStatus.Stale, Origin = span.Origin, CarriedFromId = span.Id,
                CreatedBy = span.CreatedBy, CreatedAt = edited.CreatedAt,
            });
        }
        await db.SaveChangesAsync(ct);
    }

    /// <param name="expected">The rejected answer's version the caller saw; a different current one is refused, since someone edited or swapped the pair.</param>
    private static async Task<Response> RejectedAsync(BpoDbContext db, long pairId, CancellationToken ct, long? expected = null)
    {
        var rejected = await RejectedQuery.For(db)(db, pairId)
            ?? throw new NotFoundError($"There is no pair {pairId}.");
        return Checked(rejected, pairId, expected);
    }

    private static Response Checked(Response rejected, long pairId, long? expected = null)
    {
        if (expected is { } seen && seen != rejected.Id)
            throw new ReviewRefusedException($"Pair {pairId}'s rejected answer changed since it was loaded (someone edited or swapped the pair); its spans are shown again, mark them on the new text.");
        if (rejected.Kind.IsImagePair()) throw new ReviewRefusedException($"Pair {pairId} is an image pair: its rejected answer is the ground truth itself, so it has no wrong words to mark.");
        return rejected;
    }

    // Compiled, as the next one: the review page asks both for every pair. The answer is found by the pair's key: asked
    // as "an answer some pair with this id rejects", SQLite scanned every answer for each pair shown.
    private static readonly CompiledPerModel<Func<BpoDbContext, long, Task<Response?>>> RejectedQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, long pairId) =>
        db.Responses.AsNoTracking().Include(r => r.Sample)
            .Where(r => r.Id == db.Pairs.Where(p => p.Id == pairId).Select(p => p.RejectedResponseId).FirstOrDefault()).FirstOrDefault()));

    private static readonly CompiledPerModel<Func<BpoDbContext, long, Task<SheetRow?>>> SheetQuery = new(() => EF.CompileAsyncQuery((BpoDbContext db, long pairId) =>
        db.Responses.AsNoTracking()
            .Where(r => r.Id == db.Pairs.Where(p => p.Id == pairId).Select(p => p.RejectedResponseId).FirstOrDefault())
            .Select(r => new SheetRow(r, r.Sample!,
                db.ErrorSpans.Where(s => s.ResponseId == r.Id && s.Status != SpanStatus.Removed).OrderBy(s => s.Start).ThenBy(s => s.Id).ToList(),
                db.ClaimChecks.Where(c => c.ResponseId == r.Id && c.Holds < 0.5).OrderBy(c => c.Start).ToList()))
            .FirstOrDefault()));

    private sealed record SheetRow(Response Rejected, Sample Sample, List<ErrorSpan> Stored, List<Judging.ClaimCheck> FalseClaims);

    private static readonly CompiledPerModel<Func<BpoDbContext, long, IAsyncEnumerable<ErrorSpan>>> StoredSpansQuery = new(() => EF.CompileAsyncQuery<BpoDbContext, long, ErrorSpan>((db, responseId) =>
        db.ErrorSpans.AsNoTracking().Where(s => s.ResponseId == responseId && s.Status != SpanStatus.Removed).OrderBy(s => s.Start).ThenBy(s => s.Id)));

    private static async Task<IReadOnlyList<SuggestedSpan>> SuggestionsAsync(BpoDbContext db, Response rejected, CancellationToken ct, List<Judging.ClaimCheck>? falseClaims = null) =>
        SpanSuggestions.For(rejected, await PreviousTextAsync(db, rejected, ct),
            await Judging.JudgeHints.FalseClaimsShownAsync(db, rejected.Sample!.DatasetId, rejected.Id, ct, falseClaims));

    private static async Task<string?> PreviousTextAsync(BpoDbContext db, Response rejected, CancellationToken ct) =>
        rejected.PreviousVersionId is { } id ? await db.Responses.Where(r => r.Id == id).Select(r => r.Text).FirstAsync(ct) : null;

    /// <param name="stored">The answer's stored spans, when the caller read them already; as <paramref name="falseClaims"/>.</param>
    private static async Task<SpanSheet> SheetAsync(BpoDbContext db, Response rejected, CancellationToken ct, List<ErrorSpan>? stored = null, List<Judging.ClaimCheck>? falseClaims = null)
    {
        stored ??= await StoredSpansQuery.For(db)(db, rejected.Id).ToListAsync(ct);
        // A suggestion is offered until someone confirms, dismisses or marks over its characters.
        var open = (await SuggestionsAsync(db, rejected, ct, falseClaims)).Where(s => !stored.Any(span => span.Overlaps(s.Start, s.Length))).ToList();
        return new SpanSheet(rejected.Id, rejected.Text, [.. stored.Where(s => s.Status != SpanStatus.Dismissed)], open);
    }
}
