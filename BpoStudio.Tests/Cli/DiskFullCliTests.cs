using System.Data.Common;
using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Cli;

/// <summary>
/// A full disk as SQLite meets it: with <c>max_page_count</c> reached, SQLite answers SQLITE_FULL ("database or disk is
/// full"), exactly what a full disk gives, so the commands' real paths run into it without filling this machine's disk.
/// </summary>
public class DiskFullCliTests
{
    private sealed class PageLimit(long pages) : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        private void Apply(DbConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA max_page_count = {pages}";
            command.ExecuteNonQuery();
        }
    }

    private static async Task<long> PagesAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_count";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task ImportAndBulk_OnAFullDisk_EndWithExit1AndOneLine_AndTheDataStaysWhole()
    {
        using var data = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={data.Path}";
        Assert.Equal(0, await CliApp.RunAsync(["seed-demo", config], TextWriter.Null));
        var database = Path.Combine(data.Path, "bpostudio.db");
        var file = data.File("big.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 5_000).Select(i => JsonSerializer.Serialize(new
        {
            id = $"r{i}", prompt = $"Question number {i} about the picture?",
            completions = new object[] { new { score = 1, response = $"A long enough answer number {i}, repeated to take room. " + new string('x', 200), type = "gt" }, new { score = 0, response = $"Wrong {i}.", type = "llm-hal" } },
        })));

        var limit = new PageLimit(await PagesAsync(database) + 40); // about 160 KB of room
        var error = new StringWriter();
        var exit = await CliApp.RunAsync(["import", file, "--dataset", "big", config], TextWriter.Null, error, s => s.ConfigureDbContext<BpoDbContext>(o => o.AddInterceptors(limit)));
        Assert.Equal(1, exit);
        Assert.Contains("the disk holding the data is full", error.ToString());
        Assert.Contains("Free space there", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString()); // one line, no stack trace

        var tight = new PageLimit(await PagesAsync(database));
        error = new StringWriter();
        exit = await CliApp.RunAsync(["review", "bulk", "--dataset", "Demo shapes", "--decision", "accept", config], TextWriter.Null, error,
            s => s.ConfigureDbContext<BpoDbContext>(o => o.AddInterceptors(tight)));
        Assert.Equal(1, exit);
        Assert.Contains("the disk holding the data is full", error.ToString());
        Assert.Single(error.ToString().Trim().Split('\n'));

        await using var check = new SqliteConnection($"Data Source={database};Pooling=False");
        await check.OpenAsync();
        await using var integrity = check.CreateCommand();
        integrity.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await integrity.ExecuteScalarAsync());
        integrity.CommandText = "SELECT COUNT(*) FROM \"Pairs\" WHERE \"Status\" = 'Accepted'";
        Assert.Equal(0L, await integrity.ExecuteScalarAsync()); // the bulk action left nothing half-applied
    }
}
