using System.Text.Json;
using BpoStudio.Core;
using BpoStudio.Core.Benchmarks;
using BpoStudio.Core.Data;

namespace BpoStudio.Cli;

/// <summary><c>bench &lt;workload&gt;</c>: speed figures with a baseline measured in the same run, in a throwaway data folder.</summary>
internal sealed class BenchVerb : ICliVerb
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public string Name => "bench";
    public string Usage => "bench review [--pairs 1000000] [--decisions 500] [--json]";
    public string Summary => "Measure a workload against a same-run baseline (review: accept + load-next latency).";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json" };
    public bool UsesDatabase => false;

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var workload = args.Positional(0, "a workload (review)");
        if (workload != "review") throw new CliUsageException($"unknown workload '{workload}'");
        var pairs = ParsePositive(args.Option("pairs") ?? "1000000", "pairs");
        var decisions = (int)ParsePositive(args.Option("decisions") ?? "500", "decisions");

        var folder = Path.Combine(Path.GetTempPath(), "bpostudio-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var builder = CliApp.CreateHostBuilder([$"--BpoStudio:DataDirectory={folder}", "--BpoStudio:SeedDemo=false"]);
            using var host = builder.Build();
            await host.Services.GetRequiredService<DatabaseInitializer>().MigrateAsync(ct);
            var result = await host.Services.GetRequiredService<ReviewBenchmark>().RunAsync(pairs, decisions, ct);
            await WriteAsync(output, result, args.Flag("json"));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task WriteAsync(TextWriter output, ReviewBenchmarkResult r, bool json)
    {
        var meets = r.AcceptAndNext.P95Ms < 50 && r.ColdOpenMs < 500;
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { benchmark = "review", r.Pairs, r.SeedSeconds, r.ColdOpenMs, r.WarmOpenMs, r.AcceptAndNext, r.BaselineLookup, r.P95RatioToBaseline, targets = new { p95Ms = 50, coldOpenMs = 500 }, meetsTargets = meets }, Json));
            return;
        }
        await output.WriteLineAsync($"bench review: {r.Pairs:N0} pairs (seeded in {r.SeedSeconds:0.0} s)");
        await output.WriteLineAsync($"  open review page   cold {r.ColdOpenMs,8:0.0} ms   warm {r.WarmOpenMs,8:0.0} ms   (target cold < 500 ms)");
        await output.WriteLineAsync($"  accept + next      p50 {r.AcceptAndNext.P50Ms,8:0.00} ms   p95 {r.AcceptAndNext.P95Ms,8:0.00} ms   p99 {r.AcceptAndNext.P99Ms,8:0.00} ms   (target p95 < 50 ms, n={r.AcceptAndNext.Samples})");
        await output.WriteLineAsync($"  baseline lookup    p50 {r.BaselineLookup.P50Ms,8:0.00} ms   p95 {r.BaselineLookup.P95Ms,8:0.00} ms   p99 {r.BaselineLookup.P99Ms,8:0.00} ms");
        await output.WriteLineAsync($"  ratio p95 accept+next / baseline lookup: {r.P95RatioToBaseline:0.0}x   targets met: {(meets ? "yes" : "no")}");
    }

    private static long ParsePositive(string text, string name) =>
        long.TryParse(text, out var value) && value > 0 ? value : throw new CliUsageException($"--{name} must be a positive whole number, not '{text}'");
}
