using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Data;

public class MigrationTests
{
    [Fact]
    public async Task MigrationsCreateEveryTable_WhenDatabaseIsEmpty()
    {
        await using var core = await CoreServices.StartAsync();
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        var tables = await db.Database.SqlQueryRaw<string>("SELECT name AS Value FROM sqlite_master WHERE type = 'table'").ToListAsync();
        foreach (var entity in db.Model.GetEntityTypes().Where(e => !e.IsOwned()))
            Assert.Contains(entity.GetTableName(), tables);
        Assert.Contains("__EFMigrationsHistory", tables);
    }

    [Fact]
    public async Task ModelMatchesLatestMigration_WhenCompared()
    {
        await using var core = await CoreServices.StartAsync();
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();

        // Fails when an entity changed without a migration being added.
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public async Task PostgresMigrations_CreateTheSchema_AndKeepInStepWithTheModel()
    {
        await using var core = await CoreServices.StartAsync(provider: DatabaseProvider.Postgres);
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();

        Assert.IsType<BpoStudio.Core.Data.Postgres.PostgresBpoDbContext>(db);
        Assert.True(db.Database.IsNpgsql());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges());
        var tables = await db.Database.SqlQueryRaw<string>("SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_schema = 'public'").ToListAsync();
        foreach (var entity in db.Model.GetEntityTypes().Where(e => !e.IsOwned()))
            Assert.Contains(entity.GetTableName(), tables);
    }

    [Fact]
    public async Task DatabaseUsesWriteAheadLog_AfterMigration()
    {
        await using var core = await CoreServices.StartAsync();
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(core.DataDirectory, "bpostudio.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task MigratingTwice_KeepsData()
    {
        await using var core = await CoreServices.StartAsync(initialize: true, seedDemo: true);
        await core.Get<DatabaseInitializer>().InitializeAsync();
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.Datasets.CountAsync());
        Assert.Equal(1, await db.Users.CountAsync());
    }
}
