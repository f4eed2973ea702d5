using BpoStudio.Core;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BpoStudio.Tests.Infrastructure;

/// <summary>The Core services over a real SQLite file in a temp data folder, migrated, without the web host.</summary>
public sealed class CoreServices : IAsyncDisposable
{
    private readonly TestDataFolder _folder;
    private PostgresDatabase? _database;

    private CoreServices(IHost host, TestDataFolder folder, CapturingConsole console)
    {
        Host = host;
        _folder = folder;
        Console = console;
    }

    public IHost Host { get; }
    public IServiceProvider Services => Host.Services;
    public string DataDirectory => _folder.Path;
    public CapturingConsole Console { get; }

    /// <summary>The PostgreSQL database this instance uses, when it made one; a second instance can share it.</summary>
    public string? PostgresConnectionString => _database?.ConnectionString;

    public static async Task<CoreServices> StartAsync(Action<Dictionary<string, string?>>? configure = null, bool initialize = false, bool seedDemo = false,
        DatabaseProvider provider = DatabaseProvider.Sqlite, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var folder = new TestDataFolder();
        var console = new CapturingConsole();
        var settings = new Dictionary<string, string?>
        {
            ["BpoStudio:DataDirectory"] = folder.Path,
            ["BpoStudio:SeedDemo"] = seedDemo ? "true" : "false",
        };
        PostgresDatabase? database = null;
        if (provider == DatabaseProvider.Postgres)
        {
            database = await PostgresDatabase.CreateAsync();
            settings["BpoStudio:Database"] = "Postgres";
            settings["ConnectionStrings:BpoStudio"] = database.ConnectionString;
        }
        configure?.Invoke(settings);

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddBpoStudioCore();
        builder.Services.AddSingleton<IBootstrapConsole>(console);
        services?.Invoke(builder.Services);
        var core = new CoreServices(builder.Build(), folder, console) { _database = database };
        var initializer = core.Get<DatabaseInitializer>();
        if (initialize) await initializer.InitializeAsync();
        else await initializer.MigrateAsync();
        return core;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Seeds the demo dataset and returns its id.</summary>
    public async Task<int> SeedDemoAsync()
    {
        await Get<BpoStudio.Core.Datasets.Demo.DemoSeeder>().SeedAsync();
        await using var db = await Get<Microsoft.EntityFrameworkCore.IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            System.Linq.Queryable.Select(db.Datasets, d => d.Id));
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is IAsyncDisposable disposable) await disposable.DisposeAsync();
        else Host.Dispose();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}

public sealed class CapturingConsole : IBootstrapConsole
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages
    {
        get { lock (_messages) return [.. _messages]; }
    }

    public void Announce(string message)
    {
        lock (_messages) _messages.Add(message);
    }
}

/// <summary>A clock tests move by hand: reservations and expiries without sleeping.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
