using System.Data.Common;
using BpoStudio.Core.Data;

namespace BpoStudio.Core.Review;

/// <summary>
/// A lead's assignment over many pairs at once, inside the caller's transaction, with an event for each assignment it
/// adds or removes so it can be undone: an added one carries no previous assignee, a removed one names whom it removed.
/// </summary>
internal static class BulkAssignments
{
    /// <param name="assigneeId">Whom to give the pairs to; null takes every assignee off them.</param>
    /// <param name="replace">Take the pairs' other assignees off as well (overlap 1: a pair is one person's).</param>
    public static async Task WriteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<long> ids, string? assigneeId, bool replace,
        BulkEventFields fields, CancellationToken ct)
    {
        var idSet = SqlIds.Set(connection, "ids");
        var removing = assigneeId is null || replace;
        if (removing)
            await RunAsync($"""
                {InsertEvents} SELECT a."PairId", a."DatasetId", {EventValues}, a."UserId"
                FROM "PairAssignments" a WHERE a."PairId" IN {idSet}
                """, fields.Parameters(ReviewAction.Unassign));
        if (assigneeId is not null)
            await RunAsync($"""
                {InsertEvents} SELECT p."Id", p."DatasetId", {EventValues}, NULL FROM "Pairs" p WHERE p."Id" IN {idSet}
                """, fields.Parameters(ReviewAction.Assign));
        if (removing) await RunAsync($"""DELETE FROM "PairAssignments" WHERE "PairId" IN {idSet}""");
        if (assigneeId is not null)
            await RunAsync($"""
                INSERT INTO "PairAssignments" ("PairId", "UserId", "DatasetId") SELECT p."Id", @assignee, p."DatasetId" FROM "Pairs" p WHERE p."Id" IN {idSet}
                """, [("assignee", assigneeId)]);
        await RunAsync($"""UPDATE "Pairs" SET "RowVersion" = "RowVersion" + 1 WHERE "Id" IN {idSet}""");

        async Task RunAsync(string sql, params (string Name, object? Value)[] parameters)
        {
            await using var command = SqlCommands.Create(connection, transaction, sql, parameters);
            SqlIds.Add(command, "ids", ids);
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Takes off what the bulk action added and puts back what it removed, on the pairs whose events are restorable; returns their number.</summary>
    public static async Task<int> UndoAsync(DbConnection connection, DbTransaction transaction, long bulkId, string? assigneeId, string restorable, CancellationToken ct)
    {
        var restored = await SqlCommands.ExecuteAsync(connection, transaction, $"""
            UPDATE "Pairs" SET "RowVersion" = "RowVersion" + 1 WHERE "Id" IN (SELECT e."PairId" FROM "ReviewEvents" e WHERE {restorable})
            """, ct, ("bulk", bulkId));
        await SqlCommands.ExecuteAsync(connection, transaction, $"""
            DELETE FROM "PairAssignments" WHERE "UserId" = @assignee
                AND "PairId" IN (SELECT e."PairId" FROM "ReviewEvents" e WHERE {restorable} AND e."PreviousAssigneeId" IS NULL)
            """, ct, ("bulk", bulkId), ("assignee", assigneeId));
        await SqlCommands.ExecuteAsync(connection, transaction, $"""
            INSERT INTO "PairAssignments" ("PairId", "UserId", "DatasetId")
            SELECT e."PairId", e."PreviousAssigneeId", e."DatasetId" FROM "ReviewEvents" e WHERE {restorable} AND e."PreviousAssigneeId" IS NOT NULL
            ON CONFLICT DO NOTHING
            """, ct, ("bulk", bulkId));
        return restored;
    }

    private const string InsertEvents = """
        INSERT INTO "ReviewEvents" ("PairId", "DatasetId", "UserId", "UserName", "At", "Action", "Reason", "Comment", "Undone", "BulkActionId", "PreviousAssigneeId")
        """;

    private const string EventValues = """@user, @name, @at, @action, @reason, @comment, FALSE, @bulk""";
}

/// <summary>What each event of one bulk action records about who, when and why.</summary>
internal sealed record BulkEventFields(string UserId, string UserName, DateTime At, string? Reason, string Comment, long BulkId)
{
    public (string Name, object? Value)[] Parameters(ReviewAction action) =>
        [("user", UserId), ("name", UserName), ("at", At), ("action", action.ToString()), ("reason", Reason), ("comment", Comment), ("bulk", BulkId)];
}
