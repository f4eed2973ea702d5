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
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        await db.Database.MigrateAsync(ct);
        if (pending.Count > 0) logger.LogInformation("Applied migrations: {Migrations}", string.Join(", ", pending));
    }

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await MigrateAsync(ct);
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AdminBootstrapper>().EnsureAdminAsync();
        if (options.Value.SeedDemo)
            await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(ct);
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
