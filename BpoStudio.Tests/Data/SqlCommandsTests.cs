using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Npgsql;

namespace BpoStudio.Tests.Data;

public class SqlCommandsTests
{
    // A lead's bulk accept of a million pairs is one statement per step; PostgreSQL's client cut it at 30 s (bench triage
    // at 1M failed there), while the caller's token is what should end it.
    [Fact]
    public async Task ADatasetWideStatement_OnPostgres_IsNotCutAtTheConnectionsCommandTimeout()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        var oneSecond = new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = 1 }.ConnectionString;
        await using var connection = new NpgsqlConnection(oneSecond);
        await connection.OpenAsync();

        await SqlCommands.ExecuteAsync(connection, null, "SELECT pg_sleep(1.5)", CancellationToken.None);

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SqlCommands.ExecuteAsync(connection, null, "SELECT pg_sleep(5)", cancel.Token));
    }
}
