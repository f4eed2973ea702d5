using System.Data.Common;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Core.Datasets;

/// <summary>
/// SQLite's full-text index over prompts and answers (FTS5 tables kept by triggers) and its backlog. Indexing row by
/// row was a third of a million-record import, so a large import holds the index back (<see cref="HoldAsync"/>): the
/// rows it writes, and any written meanwhile, wait above the table's mark (<c>SearchBacklog.IndexedThrough</c>) and
/// are indexed afterwards a chunk per transaction (<see cref="CatchUpAsync"/>, run by <see cref="SearchIndexer"/>);
/// search reads the rows above the mark by substring until then (<see cref="PairSearch"/>). PostgreSQL indexes
/// expressions itself: nothing here applies to it. This class owns <c>SearchBacklog</c> and the two FTS5 tables.
/// </summary>
public static class SearchIndex
{
    /// <summary>Rows indexed per transaction while catching up: about a tenth of a second of the write lock here.</summary>
    public const int CatchUpChunk = 20_000;

    /// <summary>How long a hold lasts unless renewed: an import renews it with every batch; a killed one lets it lapse.</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromMinutes(1);

    internal static readonly (string Index, string Table, string Column)[] Tables = [("SampleSearch", "Samples", "Prompt"), ("ResponseSearch", "Responses", "Text")];

    /// <summary>
    /// Within the caller's write transaction: rows written from now on are left out of the index until
    /// <see cref="CatchUpAsync"/>, which waits while a hold is live. Renews the hold when already held.
    /// </summary>
    public static async Task HoldAsync(DbConnection connection, DbTransaction transaction, DateTime now, CancellationToken ct)
    {
        if (!SqlIds.IsSqlite(connection)) return;
        await SqlCommands.ExecuteAsync(connection, transaction, """
            UPDATE "SearchBacklog" SET "DeferredUntil" = @until, "IndexedThrough" = coalesce("IndexedThrough",
                CASE "Table" WHEN 'Samples' THEN (SELECT coalesce(max("Id"), 0) FROM "Samples") ELSE (SELECT coalesce(max("Id"), 0) FROM "Responses") END)
            """, ct, ("until", Millis(now + HoldFor)));
    }

    /// <summary>Ends a hold (the import is done or failed): the backlog may be caught up from now on.</summary>
    public static async Task ReleaseAsync(BpoDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return;
        await db.Database.ExecuteSqlRawAsync("""UPDATE "SearchBacklog" SET "DeferredUntil" = NULL WHERE "DeferredUntil" IS NOT NULL""", ct);
    }

    /// <summary>Rows written but not yet in the index, both tables together (0 on PostgreSQL).</summary>
    public static async Task<long> BacklogAsync(BpoDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return 0;
        return await db.Database.SqlQueryRaw<long>("""
            SELECT (SELECT count(*) FROM "Samples" WHERE "Id" > (SELECT "IndexedThrough" FROM "SearchBacklog" WHERE "Table" = 'Samples'))
                 + (SELECT count(*) FROM "Responses" WHERE "Id" > (SELECT "IndexedThrough" FROM "SearchBacklog" WHERE "Table" = 'Responses')) AS "Value"
            """).SingleAsync(ct);
    }

    /// <summary>
    /// Indexes the next chunk of each table's backlog in one transaction; gives how many rows it indexed (0: caught up,
    /// or held by a live import unless <paramref name="evenIfHeld"/>). A table whose backlog is done goes back to its
    /// triggers indexing every row, in the same transaction, so no row falls between the two.
    /// </summary>
    public static async Task<int> CatchUpChunkAsync(BpoDbContext db, DateTime now, bool evenIfHeld, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct); // BEGIN IMMEDIATE: the mark read here stays ours
        var connection = db.Database.GetDbConnection();
        var transaction = tx.GetDbTransaction();
        var indexed = 0;
        foreach (var (index, table, column) in Tables)
        {
            await using var read = SqlCommands.Create(connection, transaction, """SELECT "IndexedThrough", "DeferredUntil" FROM "SearchBacklog" WHERE "Table" = @table""", ("table", (object?)table));
            await using var reader = await read.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct) || reader.IsDBNull(0)) continue;
            var mark = reader.GetInt64(0);
            var held = !reader.IsDBNull(1) && reader.GetInt64(1) > Millis(now);
            await reader.DisposeAsync();
            if (held && !evenIfHeld) continue;
            await using var last = SqlCommands.Create(connection, transaction, $"""
                SELECT max("Id") FROM (SELECT "Id" FROM "{table}" WHERE "Id" > @mark ORDER BY "Id" LIMIT @chunk)
                """, ("mark", (object?)mark), ("chunk", (object?)CatchUpChunk));
            var through = await last.ExecuteScalarAsync(ct) is long id ? id : mark;
            indexed += await SqlCommands.ExecuteAsync(connection, transaction, $"""
                INSERT INTO "{index}"(rowid, "{column}") SELECT "Id", "{column}" FROM "{table}" WHERE "Id" > @mark AND "Id" <= @through
                """, ct, ("mark", (object?)mark), ("through", (object?)through));
            // Caught up unless rows remain above; a live hold keeps the mark, so its import's next rows still wait.
            await using var rest = SqlCommands.Create(connection, transaction, $"""SELECT NOT EXISTS (SELECT 1 FROM "{table}" WHERE "Id" > @through)""", ("through", (object?)through));
            var done = !held && await rest.ExecuteScalarAsync(ct) is 1L;
            await SqlCommands.ExecuteAsync(connection, transaction, """UPDATE "SearchBacklog" SET "IndexedThrough" = @mark WHERE "Table" = @table""", ct,
                ("mark", done ? null : (object?)through), ("table", (object?)table));
        }
        await tx.CommitAsync(ct);
        return indexed;
    }

    /// <summary>
    /// The rows of <paramref name="table"/> above the index's mark whose <paramref name="column"/> holds every word, as
    /// SQL for a sub-select of ids (<c>{0}</c>, <c>{1}</c>... the patterns, numbered from <paramref name="firstParameter"/>).
    /// Substrings, not whole words: a row waits here seconds to minutes, and a few more matches beat none.
    /// </summary>
    internal static string Behind(string table, string column, int words, int firstParameter) =>
        $"""SELECT "Id" AS "Value" FROM "{table}" WHERE "Id" > (SELECT "IndexedThrough" FROM "SearchBacklog" WHERE "Table" = '{table}')"""
        + string.Concat(Enumerable.Range(firstParameter, words).Select(p => $$""" AND "{{column}}" LIKE {{{p}}} ESCAPE '\'"""));

    private static long Millis(DateTime at) => new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
}
