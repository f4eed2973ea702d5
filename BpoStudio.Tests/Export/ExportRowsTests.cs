using BpoStudio.Core.Data;
using BpoStudio.Core.Export;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace BpoStudio.Tests.Export;

/// <summary>The export reads SQLite through its statement handle; it must see exactly what ADO.NET sees.</summary>
public sealed class ExportRowsTests : IDisposable
{
    private const string Query = """SELECT "Id", "Text", "Score", "Flag", "Kind" FROM "Rows" WHERE "Id" >= @id ORDER BY "Id" """;
    private readonly TestDataFolder _folder = new();

    [Fact]
    public async Task StatementRows_ReadTheSameValuesAsTheDataReader()
    {
        await using var connection = await OpenSeededAsync();
        Assert.True(NativeSqlite.IsAvailable, "the e_sqlite3 library Microsoft.Data.Sqlite uses should be callable directly");

        var direct = await ReadAllAsync(Assert.IsType<SqliteStatementRows>(await IFastRows.OpenAsync(connection, Query, [("@id", 2)], default)));
        var command = connection.CreateCommand();
        command.CommandText = Query;
        command.Parameters.AddWithValue("@id", 2);
        var viaAdo = await ReadAllAsync(new DataReaderRows(command, await command.ExecuteReaderAsync()));

        Assert.Equal(viaAdo, direct);
        Assert.Equal([2L, 3L, 4L], direct.Select(r => r.Id));
        Assert.Equal("naïve café ✓ 🐕", direct[0].Text);
        Assert.All(direct, row => Assert.Equal(row.Text, row.Utf8));
        Assert.Null(direct[1].Score);
        Assert.Equal(0.25, direct[2].Score);
        Assert.Null(direct[2].Text);
    }

    [Fact]
    public async Task RepeatedStrings_AreOneInstanceUntilTheValueChanges()
    {
        await using var connection = await OpenSeededAsync();
        await using var rows = await IFastRows.OpenAsync(connection, Query, [("@id", 1)], default);
        var kinds = new List<string>();
        while (rows.Read()) kinds.Add(rows.GetRepeatedString(4));

        Assert.Equal(["gt", "llm-hal", "llm-hal", "gt"], kinds);
        Assert.Same(kinds[1], kinds[2]);
        Assert.NotSame(kinds[0], kinds[3]);
    }

    [Fact]
    public async Task ABrokenQuery_SaysWhatSqliteSaid()
    {
        await using var connection = await OpenSeededAsync();
        var error = await Assert.ThrowsAsync<SqliteException>(() => IFastRows.OpenAsync(connection, """SELECT "Nope" FROM "Rows" WHERE "Id" = @id""", [("@id", 1)], default));
        Assert.Contains("no such column: \"Nope\"", error.Message);
    }

    [Fact]
    public async Task AnInMemoryDatabase_IsReadThroughItsOwnConnection()
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await SeedAsync(connection);
        await using var rows = await IFastRows.OpenAsync(connection, Query, [("@id", 4)], default);

        Assert.IsType<DataReaderRows>(rows);
        Assert.True(rows.Read());
        Assert.Equal(4, rows.GetInt64(0));
        Assert.False(rows.Read());
    }

    public void Dispose() => _folder.Dispose();

    private async Task<SqliteConnection> OpenSeededAsync()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_folder.Path, "rows.db")};Pooling=False");
        await connection.OpenAsync();
        await SeedAsync(connection);
        return connection;
    }

    private static async Task SeedAsync(SqliteConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE "Rows" ("Id" INTEGER PRIMARY KEY, "Text" TEXT NULL, "Score" REAL NULL, "Flag" INTEGER NOT NULL, "Kind" TEXT NOT NULL);
            INSERT INTO "Rows" VALUES (1, 'first', 1.0, 0, 'gt'), (2, 'naïve café ✓ 🐕', 0.5, 1, 'llm-hal'), (3, '', NULL, 0, 'llm-hal'), (4, NULL, 0.25, 1, 'gt');
            """;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Each row, its text read both as a string and as UTF-8 bytes (decoded here to compare).</summary>
    private static async Task<List<(long Id, string? Text, string? Utf8, double? Score, bool Flag, string Kind)>> ReadAllAsync(IFastRows rows)
    {
        await using (rows)
        {
            var texts = new Utf8TextBuffer();
            var all = new List<(long, string?, string?, double?, bool, string)>();
            while (rows.Read())
                all.Add((rows.GetInt64(0), rows.IsNull(1) ? null : rows.GetString(1), rows.IsNull(1) ? null : rows.GetUtf8(1, texts).ToString(),
                    rows.IsNull(2) ? null : rows.GetDouble(2), rows.GetBoolean(3), rows.GetRepeatedString(4)));
            return all;
        }
    }
}
