using BpoStudio.Core.Data;

namespace BpoStudio.Cli;

/// <summary>
/// Where a benchmark keeps its data: a throwaway folder, and on PostgreSQL a throwaway database made on the server the
/// bench was given and dropped afterwards (<c>BPOSTUDIO_BENCH_KEEP=1</c> keeps both for EXPLAIN and the like).
/// </summary>
/// <param name="postgresServer">The PostgreSQL server throwaway databases are made on (--BpoStudio:Database=Postgres and its connection string), or null for SQLite.</param>
internal sealed class BenchData(string? postgresServer)
{
    private static bool Keep => Environment.GetEnvironmentVariable("BPOSTUDIO_BENCH_KEEP") is not null;

    /// <summary>Runs <paramref name="run"/> with the CLI's services over a throwaway, migrated database.</summary>
    public Task WithThrowawayAsync(Func<IServiceProvider, Task> run, CancellationToken ct, params string[] settings)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bpostudio-bench-" + Guid.NewGuid().ToString("N"));
        return WithProviderAsync<bool>(async provider =>
        {
            try
            {
                // EF's "failed command" when it probes a new database for its migration history is expected here, not news.
                using var host = CliApp.CreateHostBuilder([$"--BpoStudio:DataDirectory={folder}", "--BpoStudio:SeedDemo=false", "--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=None",
                    .. provider, .. settings]).Build();
                await host.Services.GetRequiredService<DatabaseInitializer>().MigrateAsync(ct);
                await run(host.Services);
                return true;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                if (Keep) Console.Error.WriteLine($"kept: {folder}");
                else if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        }, ct);
    }

    /// <summary>
    /// Runs a benchmark that starts its own host with the settings naming its database: none on SQLite (the host's own
    /// throwaway folder), a throwaway PostgreSQL database otherwise.
    /// </summary>
    public async Task<T> WithProviderAsync<T>(Func<IReadOnlyList<string>, Task<T>> run, CancellationToken ct)
    {
        var database = postgresServer is { } server ? await ThrowawayPostgresAsync(server, ct) : null;
        try
        {
            return await run(database is null ? [] : ["--BpoStudio:Database=Postgres", $"--ConnectionStrings:BpoStudio={database.ConnectionString}"]);
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            if (database is not null && Keep) Console.Error.WriteLine($"kept: PostgreSQL database {database.Database}");
            else if (database is not null) await AdminAsync(postgresServer!, $"""DROP DATABASE IF EXISTS "{database.Database}" WITH (FORCE)""", CancellationToken.None);
        }
    }

    private static async Task<Npgsql.NpgsqlConnectionStringBuilder> ThrowawayPostgresAsync(string server, CancellationToken ct)
    {
        var database = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = "bpostudio_bench_" + Guid.NewGuid().ToString("N")[..12] };
        await AdminAsync(server, $"""CREATE DATABASE "{database.Database}" """, ct);
        return database;
    }

    private static async Task AdminAsync(string server, string sql, CancellationToken ct)
    {
        await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
