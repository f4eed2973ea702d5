using BpoStudio.Core.Accounts;
using BpoStudio.Core.Datasets.Demo;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Data;

/// <summary>Migrates the schema, then creates roles, the first admin and (optionally) the demo dataset.</summary>
public sealed class DatabaseInitializer(IServiceProvider services, DataPaths paths, IOptions<BpoStudioOptions> options, ILogger<DatabaseInitializer> logger)
{
    public async Task MigrateAsync(CancellationToken ct = default)
    {
        paths.EnsureCreated();
        var factory = services.GetRequiredService<IDbContextFactory<BpoDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        if (db.Database.IsSqlite())
            // WAL lets the review page read while a job writes; it is a property of the file, so set it once here.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        await db.Database.MigrateAsync(ct);
        logger.LogInformation("Database schema is current ({Migrations} migrations)", (await db.Database.GetAppliedMigrationsAsync(ct)).Count());
    }

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        // Instances starting together on one PostgreSQL database take turns, so only the first creates the admin and the demo.
        await using var turn = await InstanceLock.TakeAsync(services.GetRequiredService<IDbContextFactory<BpoDbContext>>(), ct);
        await MigrateAsync(ct);
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AdminBootstrapper>().EnsureAdminAsync();
        if (options.Value.SeedDemo)
            await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(ct);
    }

    /// <summary>A PostgreSQL session-level advisory lock held for the initialisation; nothing on SQLite (one instance per file).</summary>
    private sealed class InstanceLock(BpoDbContext? db) : IAsyncDisposable
    {
        private const long Key = 0x42504F5354554449; // "BPOSTUDI"

        public static async Task<InstanceLock> TakeAsync(IDbContextFactory<BpoDbContext> factory, CancellationToken ct)
        {
            var db = await factory.CreateDbContextAsync(ct);
            if (!db.Database.IsNpgsql())
            {
                await db.DisposeAsync();
                return new InstanceLock(null);
            }
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({Key})", ct);
            return new InstanceLock(db);
        }

        public async ValueTask DisposeAsync()
        {
            if (db is null) return;
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({Key})");
            await db.DisposeAsync();
        }
    }
}

/// <summary>Runs the initializer before the server accepts requests; a failure stops the app.</summary>
public sealed class DatabaseMigratorService(DatabaseInitializer initializer, ILogger<DatabaseMigratorService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await initializer.InitializeAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            logger.LogCritical(ex, "Database initialisation failed");
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
