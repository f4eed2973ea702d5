using System.Diagnostics;
using System.Text.Json;
using BpoStudio.Core;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Import;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Judging;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Cli;

public sealed record JudgeBenchmarkResult(long Pairs, int Concurrency, int LatencyMs, long Calls, double Seconds, double PairsPerSecond, double BoundPairsPerSecond,
    double Ratio, long CalibrationPairs, double CalibrationSeconds);

/// <summary>
/// <c>bench judge</c>: the judge job against a loopback OpenAI-compatible server that answers each call after a fixed
/// latency. With C calls in flight and two calls a pair (both orders), no client can judge more than C / (2 × latency)
/// pairs a second; the ratio is the job's rate over that bound. Then the calibration figures over a dataset of scored
/// pairs (the judged ones, or <c>--calibration-pairs</c> more given synthetic scores).
/// </summary>
internal static class JudgeBenchmark
{
    /// <param name="provider">The database settings (none: SQLite in a throwaway folder).</param>
    public static async Task<JudgeBenchmarkResult> RunAsync(long pairs, int latencyMs, int concurrency, long calibrationPairs, IReadOnlyList<string> provider, CancellationToken ct)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bpostudio-bench-judge-" + Guid.NewGuid().ToString("N"));
        long calls = 0;
        var judgeBuilder = WebApplication.CreateSlimBuilder();
        judgeBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        judgeBuilder.Logging.ClearProviders();
        await using var judge = judgeBuilder.Build();
        judge.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            await http.Request.Body.CopyToAsync(Stream.Null);
            var n = Interlocked.Increment(ref calls);
            await Task.Delay(latencyMs);
            // Verdicts that spread the scores over every band.
            var content = $$"""{"preferred":"{{(n % 5) switch { 0 or 1 or 2 => "A", 3 => "B", _ => "tie" }}}","confidence":0.8,"rationale":"bench"}""";
            return Results.Text(JsonSerializer.Serialize(new
            {
                id = "bench", @object = "chat.completion", created = 1_700_000_000, model = "bench-judge",
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 300, completion_tokens = 30, total_tokens = 330 },
            }), "application/json");
        });
        await judge.StartAsync(ct);
        try
        {
            var builder = WebApplication.CreateBuilder([$"--BpoStudio:DataDirectory={folder}", "--BpoStudio:SeedDemo=false", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=None",
                $"--Judge:OpenAI:BaseUrl={judge.Urls.First()}/v1", "--Judge:OpenAI:Model=bench-judge", $"--Judge:OpenAI:MaxConcurrency={concurrency}", "--Judge:OpenAI:JsonSchema=false", .. provider]);
            builder.AddBpoStudioCore();
            await using var app = builder.Build();
            await app.Services.GetRequiredService<DatabaseInitializer>().InitializeAsync(ct);
            var services = app.Services;
            var datasetId = await ImportAsync(services, folder, "bench judge", pairs, ct);

            var clock = Stopwatch.StartNew();
            var job = await services.GetRequiredService<JudgeJobs>().StartAsync(new JudgeParameters(datasetId), ActorChecks.CommandLine, ct);
            var done = await services.GetRequiredService<JobService>().RunHereAsync(job.Id, ct);
            clock.Stop();
            if (done.Status != JobStatus.Completed) throw new InvalidOperationException($"The judge job ended {done.Status}: {done.Error}");
            var bound = concurrency / (2 * latencyMs / 1000.0);

            var calibrationDataset = datasetId;
            if (calibrationPairs > 0)
            {
                calibrationDataset = await ImportAsync(services, folder, "bench calibration", calibrationPairs, ct);
                await using var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync(ct);
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO "PairScores" ("DatasetId", "PairId", "Scorer", "Template", "PreferChosen", "Confidence", "OrdersDisagree", "SawImage", "Unparsable", "Votes", "Tokens", "CreatedAt")
                    SELECT p."DatasetId", p."Id", {"judge:bench-judge"}, {JudgePrompt.PairwiseV1.Name}, (p."Id" % 5) / 4.0, 1.0, {false}, {false}, 0, 2, 0, {DateTime.UtcNow}
                    FROM "Pairs" p WHERE p."DatasetId" = {calibrationDataset}
                    """, ct);
            }
            var calibration = services.GetRequiredService<JudgeCalibration>();
            var check = await calibration.DrawAsync(calibrationDataset, "judge:bench-judge", 200, 7, ActorChecks.CommandLine, ct);
            await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync(ct))
                await db.Pairs.Where(p => db.SpotCheckItems.Any(i => i.SpotCheckId == check.Id && i.PairId == p.Id))
                    .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, p => p.Id % 3 == 0 ? PairStatus.Rejected : PairStatus.Accepted), ct);
            await calibration.ReportAsync(check.Id, ct); // the first pays for compiling its queries
            var calibrate = Stopwatch.StartNew();
            var report = await calibration.ReportAsync(check.Id, ct);
            calibrate.Stop();
            return new JudgeBenchmarkResult(done.ItemsTotal, concurrency, latencyMs, Interlocked.Read(ref calls), clock.Elapsed.TotalSeconds, done.ItemsTotal / clock.Elapsed.TotalSeconds,
                bound, done.ItemsTotal / clock.Elapsed.TotalSeconds / bound, report.Bands.Sum(b => b.Pending) + report.Sampled, calibrate.Elapsed.TotalSeconds);
        }
        finally
        {
            if (Directory.Exists(folder) && Environment.GetEnvironmentVariable("BPOSTUDIO_BENCH_KEEP") is null) Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<int> ImportAsync(IServiceProvider services, string folder, string name, long pairs, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, name.Replace(' ', '-') + ".jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, (int)pairs).Select(i => JsonSerializer.Serialize(new
        {
            id = $"j{i:D9}", prompt = $"What colour is the bus in picture {i}?",
            completions = new object[] { new { response = $"The bus in picture {i} is red.", type = "gt" }, new { response = $"The bus in picture {i} is blue.", type = "llm-hal" } },
        })), ct);
        await services.GetRequiredService<DatasetImporter>().ImportAsync(new ImportRequest(file, name, null, ImportFormat.Bpo, "bench"), ct: ct);
        return await services.GetRequiredService<DatasetQueries>().IdByNameAsync(name, ct);
    }
}
