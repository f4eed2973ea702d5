using BpoStudio.Core;
using BpoStudio.Core.Benchmarks;

namespace BpoStudio.Cli;

/// <summary>The whole web app on a loopback port with a throwaway data folder (and the database settings given), for benchmarks of its real hosts.</summary>
internal sealed class BenchWebHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchWebHost(WebApplication app, string folder) => (_app, Folder) = (app, folder);

    public string Folder { get; }
    public IServiceProvider Services => _app.Services;
    public Uri Address => new(_app.Urls.First());

    public static async Task<BenchWebHost> StartAsync(string name, IEnumerable<string> settings, CancellationToken ct)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"bpostudio-bench-{name}-" + Guid.NewGuid().ToString("N"));
        // Named after the app, not the process: its static assets' manifest is found by that name (a test host runs it too).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = typeof(BenchWebHost).Assembly.GetName().Name, Args = [$"--BpoStudio:DataDirectory={folder}", "--BpoStudio:SeedDemo=false", "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=None", // a new database's missing migration history is expected
            "--BpoStudio:Admin:Password=Bench-Admin-Pass-12345", .. settings] });
        builder.AddBpoStudioCore();
        builder.AddBpoStudioWeb();
        builder.Services.AddBenchmarks();
        var app = builder.Build();
        app.UseBpoStudioWeb();
        var host = new BenchWebHost(app, folder);
        try
        {
            await app.StartAsync(ct);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(Folder) && Environment.GetEnvironmentVariable("BPOSTUDIO_BENCH_KEEP") is null) Directory.Delete(Folder, recursive: true);
            else if (Directory.Exists(Folder)) Console.Error.WriteLine($"kept: {Folder}");
        }
    }
}
