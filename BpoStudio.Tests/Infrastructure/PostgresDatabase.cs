using Npgsql;

namespace BpoStudio.Tests.Infrastructure;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A throwaway database on the PostgreSQL server named by <c>BPOSTUDIO_TEST_POSTGRES</c> (a connection string without
/// a database), or on a local server as <c>.ci/run</c> sets it up. Dropped when the test ends.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string EnvironmentVariable = "BPOSTUDIO_TEST_POSTGRES";
    private const string LocalDefault = "Host=127.0.0.1;Port=5432;Username=postgres;Password=bpostudio";
    private readonly string _server;
    private readonly string _name;

    private PostgresDatabase(string server, string name)
    {
        (_server, _name) = (server, name);
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string ConnectionString { get; }

    /// <summary>The server's connection string, without a database.</summary>
    public static string Server => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured ? configured : LocalDefault;

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var server = Server;
        var database = new PostgresDatabase(server, "bpo_test_" + Guid.NewGuid().ToString("N")[..16]);
        try
        {
            await database.ExecuteAsync($"CREATE DATABASE {database._name}");
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidOperationException($"These tests need PostgreSQL ({server.Split("Password")[0]}...): install and start it as .ci/run does, " +
                $"or point {EnvironmentVariable} at a server. {ex.Message}", ex);
        }
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Database = "postgres" }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
