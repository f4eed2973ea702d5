using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Review;

public sealed record ListedResponse(long Id, string Kind, string Text, string? Method, string? Model);

public sealed record ListedFinding(string Check, string Severity, string? Detail);

/// <summary>A scorer's score of a listed pair (<see cref="Judging.PairScore"/>).</summary>
public sealed record ListedScore(string Scorer, string Template, double? PreferChosen, double? Confidence, bool SawImage, string? Rationale);

/// <summary>What a listed pair carries besides itself.</summary>
[Flags]
public enum PairIncludes
{
    None = 0,
    Findings = 1,
    History = 2,
    Scores = 4,
}

public sealed record ListedEvent(long Id, long PairId, string Action, string? User, DateTime At, string? Reason, bool Undone, long? BulkActionId);

public sealed record ListedPair(long Id, long SampleId, string? SourceFile, string? SourceRecordId, int? Turn, string Prompt, string? ImageHash,
    ListedResponse Chosen, ListedResponse Rejected, string Status, string? DecidedBy, DateTime? DecidedAt, string DecisionSource)
{
    public IReadOnlyList<ListedFinding>? Findings { get; init; }
    public IReadOnlyList<ListedEvent>? History { get; init; }
    public IReadOnlyList<ListedScore>? Scores { get; init; }
}

/// <summary>A page of rows and the cursor that continues after them (null at the end): stable while rows are added.</summary>
public sealed record CursorPage<T>(IReadOnlyList<T> Items, long? Next);

/// <summary>
/// Pairs and review events for programs, a page at a time in id order after a cursor, with the queue's filters. Reads
/// only; walking a million pairs costs one indexed range scan per page.
/// </summary>
public sealed class PairListing(IDbContextFactory<BpoDbContext> dbFactory)
{
    public const int MaxLimit = 1000;

    public async Task<CursorPage<ListedPair>> PairsAsync(int datasetId, PairFilter? filter, long? after, int limit, PairIncludes includes, CancellationToken ct = default)
    {
        limit = CheckLimit(limit);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await RequireDatasetAsync(db, datasetId, ct);
        var query = await db.MatchingAsync(datasetId, filter, defaultStatus: null, ct);
        if (after is { } cursor) query = query.Where(p => p.Id > cursor);
        var rows = await query.OrderBy(p => p.Id).Take(limit).AsNoTracking().Select(p => new
        {
            p.Id, p.SampleId, p.Sample!.Source.File, p.Sample.Source.RecordId, p.Sample.Source.Turn, p.Sample.Prompt, p.Sample.ImageHash,
            Chosen = new { p.ChosenResponse!.Id, p.ChosenResponse.Kind, p.ChosenResponse.Text, p.ChosenResponse.Provenance.Method, p.ChosenResponse.Provenance.Model },
            Rejected = new { p.RejectedResponse!.Id, p.RejectedResponse.Kind, p.RejectedResponse.Text, p.RejectedResponse.Provenance.Method, p.RejectedResponse.Provenance.Model },
            p.Status, p.DecidedBy, p.DecidedAt, p.DecisionSource,
        }).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var found = includes.HasFlag(PairIncludes.Findings)
            ? (await db.PairFindings.AsNoTracking().Where(f => ids.Contains(f.PairId)).OrderBy(f => f.Id).ToListAsync(ct)).ToLookup(f => f.PairId)
            : null;
        var events = includes.HasFlag(PairIncludes.History)
            ? (await db.ReviewEvents.AsNoTracking().Where(e => ids.Contains(e.PairId)).OrderBy(e => e.Id).ToListAsync(ct)).ToLookup(e => e.PairId)
            : null;
        var scores = includes.HasFlag(PairIncludes.Scores)
            ? (await db.PairScores.AsNoTracking().Where(s => ids.Contains(s.PairId)).OrderBy(s => s.Id).ToListAsync(ct)).ToLookup(s => s.PairId)
            : null;
        var items = rows.Select(r => new ListedPair(r.Id, r.SampleId, r.File, r.RecordId, r.Turn, r.Prompt, r.ImageHash,
            new ListedResponse(r.Chosen.Id, r.Chosen.Kind.ToWire(), r.Chosen.Text, r.Chosen.Method, r.Chosen.Model),
            new ListedResponse(r.Rejected.Id, r.Rejected.Kind.ToWire(), r.Rejected.Text, r.Rejected.Method, r.Rejected.Model),
            r.Status.ToString(), r.DecidedBy, r.DecidedAt, r.DecisionSource.ToString())
        {
            Findings = found?[r.Id].Select(f => new ListedFinding(f.CheckId, f.Severity.ToString().ToLowerInvariant(), f.Detail)).ToList(),
            History = events?[r.Id].Select(Event).ToList(),
            Scores = scores?[r.Id].Select(s => new ListedScore(s.Scorer, s.Template, s.PreferChosen, s.Confidence, s.SawImage, s.Rationale)).ToList(),
        }).ToList();
        return new CursorPage<ListedPair>(items, items.Count == limit ? items[^1].Id : null);
    }

    /// <summary>Review events (decisions, edits, undos, bulk actions) after a cursor, for pipelines that follow decisions.</summary>
    public async Task<CursorPage<ListedEvent>> EventsAsync(int datasetId, long? after, int limit, CancellationToken ct = default)
    {
        limit = CheckLimit(limit);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await RequireDatasetAsync(db, datasetId, ct);
        var query = db.ReviewEvents.AsNoTracking().Where(e => e.DatasetId == datasetId);
        if (after is { } cursor) query = query.Where(e => e.Id > cursor);
        var items = (await query.OrderBy(e => e.Id).Take(limit).ToListAsync(ct)).Select(Event).ToList();
        return new CursorPage<ListedEvent>(items, items.Count == limit ? items[^1].Id : null);
    }

    private static int CheckLimit(int limit) => limit is >= 1 and <= MaxLimit ? limit : throw new InvalidInputError($"limit must be 1 to {MaxLimit}.", "limit");

    private static async Task RequireDatasetAsync(BpoDbContext db, int datasetId, CancellationToken ct)
    {
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, ct)) throw new NotFoundError($"There is no dataset {datasetId}.");
    }

    private static ListedEvent Event(ReviewEvent e) => new(e.Id, e.PairId, e.Action.ToString(), e.UserName, e.At, e.Reason, e.Undone, e.BulkActionId);
}
