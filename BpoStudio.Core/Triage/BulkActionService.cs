using System.Data.Common;
using System.Security.Claims;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Core.Triage;

public sealed record BulkRequest(PairFilter Filter, BulkOperation Operation, string? Reason = null, string? AssigneeId = null, bool IncludeDecided = false);

/// <summary><see cref="Matched"/> pairs match the filter; <see cref="Applied"/> of them were (or would be) changed.</summary>
public sealed record BulkResult(int Matched, int Applied, long? BulkId, IReadOnlyList<TriageRow> Sample);

public sealed record BulkUndoResult(long BulkId, int Restored, int KeptLaterChanges);

/// <summary>What a bulk action rests on, when not only the lead's word: a spot check's figures, or the import job that brought the source's decisions.</summary>
public sealed record BulkOrigin(long? SpotCheckId = null, string? Notes = null, long? ImportJobId = null, DecisionSource? Source = null);

/// <summary>
/// A lead's decision over every pair matching a filter, in one transaction: all of it lands or none. It never touches a
/// lead's final resolution, leaves pairs a person decided alone unless asked, and skips pairs already in the target state,
/// so its undo restores exactly what it changed (and keeps any pair a person changed after it).
/// </summary>
public sealed class BulkActionService(IDbContextFactory<BpoDbContext> dbFactory, Webhooks.WebhookService webhooks, TimeProvider clock)
{
    public const int PreviewSize = 20;
    internal static readonly JsonSerializerOptions FilterJson = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>How many pairs match and would change, with a sample of those that would.</summary>
    public async Task<BulkResult> PreviewAsync(int datasetId, BulkRequest request, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("apply bulk decisions");
        Validate(request);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var matching = await db.MatchingAsync(datasetId, request.Filter, defaultStatus: null, ct);
        var matched = await matching.CountAsync(ct);
        var eligible = Eligible(db, matching, request);
        var sample = await TriageQueries.RowsAsync(db, eligible.OrderBy(p => p.Id).Take(PreviewSize), ct);
        return new BulkResult(matched, await eligible.CountAsync(ct), null, sample);
    }

    public async Task<BulkResult> ApplyAsync(int datasetId, BulkRequest request, ClaimsPrincipal actor, BulkOrigin? origin = null, CancellationToken ct = default)
    {
        var (spotCheckId, notes, importJobId, source) = origin ?? new BulkOrigin();
        actor.RequireLead("apply bulk decisions");
        Validate(request);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (dataset, overlap) = await db.Datasets.Where(d => d.Id == datasetId).Select(d => new { d.Name, d.Overlap }).FirstOrDefaultAsync(ct) is { } found
            ? (found.Name, found.Overlap) : throw new NotFoundError($"There is no dataset {datasetId}.");
        if (request.Operation == BulkOperation.Assign && !await db.Users.AnyAsync(u => u.Id == request.AssigneeId, ct))
            throw new InvalidInputError($"There is no user '{request.AssigneeId}' to assign pairs to.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var connection = db.Database.GetDbConnection();
        await LockDatasetAsync(connection, tx.GetDbTransaction(), datasetId, ct);
        await RefuseWhileWritingJobsRunAsync(db, datasetId, dataset, importJobId, ct);

        var matching = await db.MatchingAsync(datasetId, request.Filter, defaultStatus: null, ct);
        var matched = await matching.CountAsync(ct);
        if (matched == 0) throw new ConflictError($"No pair of '{dataset}' matches {request.Filter.Describe()}; nothing was changed.");
        var ids = await Eligible(db, matching, request).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        if (ids.Count == 0)
            throw new ConflictError($"{matched:N0} pairs match, but each is already {Target(request.Operation)}, was decided by a person or resolved by a lead; " +
                "nothing was changed (include decided pairs to override people's decisions).");

        var who = actor.DisplayName();
        var bulk = new BulkAction
        {
            DatasetId = datasetId, Operation = request.Operation, Reason = Clean(request.Reason), AssigneeId = request.AssigneeId,
            FilterJson = JsonSerializer.Serialize(request.Filter, FilterJson), FilterText = request.Filter.Describe(), IncludeDecided = request.IncludeDecided,
            Matched = matched, Applied = ids.Count, SpotCheckId = spotCheckId, Notes = notes, CreatedBy = who, CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.BulkActions.Add(bulk);
        await db.SaveChangesAsync(ct);
        var fields = EventFields(bulk, actor);
        if (request.Operation is BulkOperation.Assign or BulkOperation.Unassign)
            await BulkReview.AssignAsync(connection, tx.GetDbTransaction(), ids, bulk.AssigneeId, replace: overlap == 1, fields, ct);
        else
        {
            var decision = request.Operation switch { BulkOperation.Accept => Decision.Accepted, BulkOperation.Reject => Decision.Rejected, _ => Decision.Flagged };
            await BulkReview.DecideAsync(connection, tx.GetDbTransaction(), ids, decision, source ?? (spotCheckId is null ? DecisionSource.Bulk : DecisionSource.SampledStratum), fields, ct);
        }
        db.AuditEntries.Add(new AuditEntry
        {
            At = bulk.CreatedAt, UserName = who, Action = TriageAudit.BulkApply, Subject = $"{dataset} bulk {bulk.Id}",
            Details = $"{request.Operation.ToString().ToLowerInvariant()} {ids.Count:N0} of {matched:N0} matching pairs ({bulk.FilterText})" +
                (bulk.Reason is null ? "" : $"; reason: {bulk.Reason}") + (notes is null ? "" : $"; {notes}"),
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await webhooks.RaiseAsync(Webhooks.WebhookEvents.BulkApplied, new { bulkId = bulk.Id, datasetId, dataset, operation = request.Operation.ToString(),
            filter = bulk.FilterText, matched, applied = ids.Count, by = who, undone = false }, ct);
        return new BulkResult(matched, ids.Count, bulk.Id, []);
    }

    /// <summary>Restores every pair the bulk action changed to what it was, except pairs someone changed since.</summary>
    public async Task<BulkUndoResult> UndoAsync(long bulkId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("undo a bulk action");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var bulk = await db.BulkActions.FirstOrDefaultAsync(b => b.Id == bulkId, ct) ?? throw new NotFoundError($"There is no bulk action {bulkId}.");
        if (bulk.UndoneAt is not null) throw new ConflictError($"Bulk action {bulkId} was already undone by {bulk.UndoneBy} at {bulk.UndoneAt:u}.");
        var connection = db.Database.GetDbConnection();
        await LockDatasetAsync(connection, tx.GetDbTransaction(), bulk.DatasetId, ct);

        var restored = await BulkReview.UndoAsync(connection, tx.GetDbTransaction(), bulkId, bulk.Operation is BulkOperation.Assign or BulkOperation.Unassign, bulk.AssigneeId, ct);
        (bulk.UndoneAt, bulk.UndoneBy, bulk.Restored) = (clock.GetUtcNow().UtcDateTime, actor.DisplayName(), restored);
        db.AuditEntries.Add(new AuditEntry
        {
            At = bulk.UndoneAt.Value, UserName = actor.DisplayName(), Action = TriageAudit.BulkUndo, Subject = $"dataset {bulk.DatasetId} bulk {bulk.Id}",
            Details = $"restored {restored:N0} of {bulk.Applied:N0} pairs; {bulk.Applied - restored:N0} kept because someone changed them since",
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await webhooks.RaiseAsync(Webhooks.WebhookEvents.BulkApplied, new { bulkId, datasetId = bulk.DatasetId, operation = bulk.Operation.ToString(),
            filter = bulk.FilterText, restored, by = actor.DisplayName(), undone = true }, ct);
        return new BulkUndoResult(bulkId, restored, bulk.Applied - restored);
    }

    public async Task<IReadOnlyList<BulkAction>> ListAsync(int datasetId, int count = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.BulkActions.AsNoTracking().Where(b => b.DatasetId == datasetId).OrderByDescending(b => b.Id).Take(count).ToListAsync(ct);
    }

    private static IQueryable<PreferencePair> Eligible(BpoDbContext db, IQueryable<PreferencePair> matching, BulkRequest request)
    {
        var query = matching.Where(p => p.ResolvedBy == null);
        if (!request.IncludeDecided) query = query.Where(p => !db.PairDecisions.Any(d => d.PairId == p.Id));
        return request.Operation switch
        {
            BulkOperation.Accept => query.Where(p => p.Status != PairStatus.Accepted),
            BulkOperation.Reject => query.Where(p => p.Status != PairStatus.Rejected),
            BulkOperation.Flag => query.Where(p => p.Status != PairStatus.Flagged),
            BulkOperation.Assign => query.Where(p => !db.PairAssignments.Any(a => a.PairId == p.Id && a.UserId == request.AssigneeId)),
            _ => query.Where(p => db.PairAssignments.Any(a => a.PairId == p.Id)),
        };
    }

    private static BulkEventFields EventFields(BulkAction bulk, ClaimsPrincipal actor) => new(
        actor.FindFirstValue(ClaimTypes.NameIdentifier) ?? actor.DisplayName(), bulk.CreatedBy, bulk.CreatedAt, bulk.Reason, $"bulk {bulk.Id}: {bulk.FilterText}", bulk.Id);

    // SQLite takes its write lock when the transaction begins; PostgreSQL needs one bulk action at a time per dataset said.
    private static async Task LockDatasetAsync(DbConnection connection, DbTransaction transaction, int datasetId, CancellationToken ct)
    {
        if (SqlIds.IsSqlite(connection)) return;
        await using var command = SqlCommands.Create(connection, transaction, "SELECT pg_advisory_xact_lock(7717, @dataset)", ("dataset", datasetId));
        await command.ExecuteScalarAsync(ct);
    }

    private static async Task RefuseWhileWritingJobsRunAsync(BpoDbContext db, int datasetId, string dataset, long? exceptJobId, CancellationToken ct)
    {
        var running = await db.Jobs.Where(j => j.Id != exceptJobId && j.DatasetId == datasetId && (j.Kind == JobKind.Import || j.Kind == JobKind.Generate)
                && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .Select(j => new { j.Id, j.Kind }).FirstOrDefaultAsync(ct);
        if (running is not null)
            throw new ConflictError($"{(running.Kind == JobKind.Import ? "An import" : "A generation job")} (job {running.Id}) is adding pairs to '{dataset}'; " +
                "apply the bulk action when it has finished, so it covers every pair it should.");
    }

    private static void Validate(BulkRequest request)
    {
        if (request.Operation == BulkOperation.Reject && string.IsNullOrWhiteSpace(request.Reason))
            throw new InvalidInputError("A bulk rejection needs a reason (it is stored with every pair it rejects).");
        if (request.Operation == BulkOperation.Assign && string.IsNullOrWhiteSpace(request.AssigneeId))
            throw new InvalidInputError("Say whom to assign the pairs to.");
        if (request.Reason?.Length > 256) throw new InvalidInputError("The reason is longer than 256 characters.");
    }

    private static string Target(BulkOperation operation) => operation switch
    {
        BulkOperation.Accept => "accepted", BulkOperation.Reject => "rejected", BulkOperation.Flag => "flagged",
        BulkOperation.Assign => "assigned to them", _ => "unassigned",
    };

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
