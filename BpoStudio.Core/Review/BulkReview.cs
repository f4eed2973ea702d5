using System.Data.Common;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Review;

/// <summary>
/// Review's way of recording decisions and assignments over many pairs at once (a lead's bulk action), inside the
/// caller's transaction, with the events that let it be undone. Review owns the pairs' review state, the events and
/// the assignments; bulk callers go through here rather than writing those tables themselves.
/// </summary>
internal static class BulkReview
{
    /// <summary>Decides every pair in <paramref name="ids"/>, recording each pair's previous state in its event.</summary>
    public static async Task DecideAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<long> ids, Decision decision, DecisionSource source,
        BulkEventFields fields, CancellationToken ct)
    {
        var idSet = SqlIds.Set(connection, "ids");
        var action = decision switch { Decision.Accepted => ReviewAction.Accept, Decision.Rejected => ReviewAction.Reject, _ => ReviewAction.Flag };
        await RunAsync(connection, transaction, ids, $"""
            {InsertEvents}, "PreviousStatus", "PreviousChosenResponseId", "PreviousRejectedResponseId", "PreviousDecisionSource")
            SELECT p."Id", p."DatasetId", {EventValues}, p."Status", p."ChosenResponseId", p."RejectedResponseId", p."DecisionSource"
            FROM "Pairs" p WHERE p."Id" IN {idSet}
            """, ct, fields.Parameters(action));
        // The reason goes where the pair keeps it for its status: a rejection's reason, a flag's comment.
        var note = decision switch { Decision.Rejected => """, "RejectReason" = @reason""", Decision.Flagged => """, "FlagComment" = @reason""", _ => "" };
        var status = decision switch { Decision.Accepted => PairStatus.Accepted, Decision.Rejected => PairStatus.Rejected, _ => PairStatus.Flagged };
        await RunAsync(connection, transaction, ids, $"""
            UPDATE "Pairs" SET "Status" = @status{note}, "DecidedAt" = @at, "DecidedBy" = @name, "DecisionSource" = @source, "RowVersion" = "RowVersion" + 1
            WHERE "Id" IN {idSet}
            """, ct, ("status", status.ToString()), ("at", fields.At), ("name", fields.UserName), ("reason", fields.Reason), ("source", source.ToString()));
    }

    /// <summary>
    /// Assigns every pair in <paramref name="ids"/>, with an event for each assignment added (no previous assignee) or
    /// removed (naming whom), so its undo restores exactly the shares it changed.
    /// </summary>
    /// <param name="assigneeId">Whom to give the pairs to; null takes every assignee off them.</param>
    /// <param name="replace">Take the pairs' other assignees off as well (overlap 1: a pair is one person's).</param>
    public static async Task AssignAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<long> ids, string? assigneeId, bool replace,
        BulkEventFields fields, CancellationToken ct)
    {
        var idSet = SqlIds.Set(connection, "ids");
        var removing = assigneeId is null || replace;
        if (removing)
            await RunAsync($"""
                {InsertEvents}, "PreviousAssigneeId") SELECT a."PairId", a."DatasetId", {EventValues}, a."UserId"
                FROM "PairAssignments" a WHERE a."PairId" IN {idSet}
                """, fields.Parameters(ReviewAction.Unassign));
        if (assigneeId is not null)
            await RunAsync($"""
                {InsertEvents}, "PreviousAssigneeId") SELECT p."Id", p."DatasetId", {EventValues}, NULL FROM "Pairs" p WHERE p."Id" IN {idSet}
                """, fields.Parameters(ReviewAction.Assign));
        if (removing) await RunAsync($"""DELETE FROM "PairAssignments" WHERE "PairId" IN {idSet}""");
        if (assigneeId is not null)
            await RunAsync($"""
                INSERT INTO "PairAssignments" ("PairId", "UserId", "DatasetId") SELECT p."Id", @assignee, p."DatasetId" FROM "Pairs" p WHERE p."Id" IN {idSet}
                """, [("assignee", assigneeId)]);
        await RunAsync($"""UPDATE "Pairs" SET "RowVersion" = "RowVersion" + 1 WHERE "Id" IN {idSet}""");

        Task RunAsync(string sql, params (string Name, object? Value)[] parameters) => BulkReview.RunAsync(connection, transaction, ids, sql, ct, parameters);
    }

    /// <summary>
    /// Undoes a bulk action's events on the pairs where nothing but skips, undone events and the action's own other
    /// events came after them (so a person's later change is kept); returns how many pairs it restored.
    /// </summary>
    public static async Task<int> UndoAsync(DbConnection connection, DbTransaction transaction, long bulkId, bool assignment, string? assigneeId, CancellationToken ct)
    {
        const string restorable = """
            e."BulkActionId" = @bulk AND NOT e."Undone" AND NOT EXISTS (SELECT 1 FROM "ReviewEvents" l
                WHERE l."PairId" = e."PairId" AND l."Id" > e."Id" AND NOT l."Undone" AND l."Action" <> @skip AND (l."BulkActionId" IS NULL OR l."BulkActionId" <> @bulk))
            """;
        (string, object?)[] parameters = [("bulk", bulkId), ("skip", ReviewAction.Skip.ToString())];
        var restored = assignment
            ? await UndoAssignmentsAsync(connection, transaction, bulkId, assigneeId, restorable, parameters, ct)
            : await SqlCommands.ExecuteAsync(connection, transaction, $"""
                UPDATE "Pairs" AS p SET "Status" = e."PreviousStatus", "DecisionSource" = e."PreviousDecisionSource", "RowVersion" = p."RowVersion" + 1
                FROM "ReviewEvents" AS e WHERE e."PairId" = p."Id" AND {restorable}
                """, ct, parameters);
        await SqlCommands.ExecuteAsync(connection, transaction, $"""
            UPDATE "ReviewEvents" SET "Undone" = TRUE WHERE "Id" IN (SELECT e."Id" FROM "ReviewEvents" AS e WHERE {restorable})
            """, ct, parameters);
        return restored;
    }

    // Takes off what the bulk action added and puts back what it removed.
    private static async Task<int> UndoAssignmentsAsync(DbConnection connection, DbTransaction transaction, long bulkId, string? assigneeId, string restorable,
        (string, object?)[] parameters, CancellationToken ct)
    {
        var restored = await SqlCommands.ExecuteAsync(connection, transaction, $"""
            UPDATE "Pairs" SET "RowVersion" = "RowVersion" + 1 WHERE "Id" IN (SELECT e."PairId" FROM "ReviewEvents" e WHERE {restorable})
            """, ct, parameters);
        await SqlCommands.ExecuteAsync(connection, transaction, $"""
            DELETE FROM "PairAssignments" WHERE "UserId" = @assignee
                AND "PairId" IN (SELECT e."PairId" FROM "ReviewEvents" e WHERE {restorable} AND e."PreviousAssigneeId" IS NULL)
            """, ct, [.. parameters, ("assignee", assigneeId)]);
        await SqlCommands.ExecuteAsync(connection, transaction, $"""
            INSERT INTO "PairAssignments" ("PairId", "UserId", "DatasetId")
            SELECT e."PairId", e."PreviousAssigneeId", e."DatasetId" FROM "ReviewEvents" e WHERE {restorable} AND e."PreviousAssigneeId" IS NOT NULL
            ON CONFLICT DO NOTHING
            """, ct, parameters);
        return restored;
    }

    private static async Task RunAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<long> ids, string sql, CancellationToken ct,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = SqlCommands.Create(connection, transaction, sql, parameters);
        SqlIds.Add(command, "ids", ids);
        await command.ExecuteNonQueryAsync(ct);
    }

    private const string InsertEvents = """
        INSERT INTO "ReviewEvents" ("PairId", "DatasetId", "UserId", "UserName", "At", "Action", "Reason", "Comment", "Undone", "BulkActionId"
        """;

    private const string EventValues = """@user, @name, @at, @action, @reason, @comment, FALSE, @bulk""";
}

/// <summary>What each event of one bulk action records about who, when and why.</summary>
internal sealed record BulkEventFields(string UserId, string UserName, DateTime At, string? Reason, string Comment, long BulkId)
{
    public (string Name, object? Value)[] Parameters(ReviewAction action) =>
        [("user", UserId), ("name", UserName), ("at", At), ("action", action.ToString()), ("reason", Reason), ("comment", Comment), ("bulk", BulkId)];
}
