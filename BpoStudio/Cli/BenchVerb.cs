using System.Text.Json;
using BpoStudio.Core.Benchmarks;
using BpoStudio.Core.Data;
using BpoStudio.Core.Generation;

namespace BpoStudio.Cli;

/// <summary><c>bench &lt;workload&gt;</c>: speed figures with a baseline measured in the same run, in a throwaway data folder.</summary>
internal sealed class BenchVerb : ICliVerb
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => "bench";
    public string Usage => "bench all [--expected benchmarks/expected-ratios.json] [--write-expected] | bench review [--pairs 1000000] [--decisions 500] | bench review --annotators 1,10,50 [--pairs 100000] [--think-ms 200] [--seconds 10] | bench circuit [--pages 20] [--decisions 50] [--pairs 20000] [--chromium /usr/bin/chromium] | bench imaging [--iterations 20] | bench import [--records 1000000] | bench api [--records 100000] [--per-call 5000] [--reads 500] | bench export [--pairs 1000000] [--rounds 3] [--draft] | bench generate [--size smollm2-135m|tiny] [--prompt 128] [--tokens 64] [--batch 1,4,8] [--provider cpu|cuda|directml] [--kv-cache host|provider] [--job-samples 512] | bench triage [--pairs 1000000] [--lookups 200] | bench judge [--pairs 20000] [--latency-ms 300] [--concurrency 16] [--calibration-pairs 1000000]  (each with [--json])";
    public string Summary => "Measure a workload against a same-run baseline (review latency; weakening throughput vs ImageMagick).";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json", "draft", "write-expected" };
    public bool UsesDatabase => false;

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var configuration = services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var data = new BenchData(string.Equals(configuration[BpoStudio.Core.CoreServiceCollectionExtensions.ProviderKey], "Postgres", StringComparison.OrdinalIgnoreCase)
            ? Microsoft.Extensions.Configuration.ConfigurationExtensions.GetConnectionString(configuration, "BpoStudio")
              ?? throw new CliUsageException("bench on PostgreSQL needs --ConnectionStrings:BpoStudio naming the server (its database is not touched: each bench makes its own and drops it)")
            : null);
        var workload = args.Positional(0, "a workload (review or imaging)");
        var json = args.Flag("json");
        switch (workload)
        {
            case "review" when args.Option("annotators") is { } annotators:
                var teams = annotators.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(a => (int)ParsePositive(a, "annotators")).Distinct().Order().ToList();
                var teamPairs = ParsePositive(args.Option("pairs") ?? "100000", "pairs");
                var think = TimeSpan.FromMilliseconds(ParsePositive(args.Option("think-ms") ?? "200", "think-ms"));
                var roundSeconds = TimeSpan.FromSeconds(ParsePositive(args.Option("seconds") ?? "10", "seconds"));
                await data.WithThrowawayAsync(async scratch =>
                    WriteTeamReview(output, await scratch.GetRequiredService<TeamReviewBenchmark>().RunAsync(teamPairs, teams, think, roundSeconds, ct), json), ct);
                return 0;
            case "review":
                var pairs = ParsePositive(args.Option("pairs") ?? "1000000", "pairs");
                var decisions = (int)ParsePositive(args.Option("decisions") ?? "500", "decisions");
                await data.WithThrowawayAsync(async scratch =>
                    WriteReview(output, await scratch.GetRequiredService<ReviewBenchmark>().RunAsync(pairs, decisions, ct), json), ct);
                return 0;
            case "api":
                var apiRecords = ParsePositive(args.Option("records") ?? "100000", "records");
                var perCall = (int)ParsePositive(args.Option("per-call") ?? "5000", "per-call");
                var reads = (int)ParsePositive(args.Option("reads") ?? "500", "reads");
                var api = await data.WithProviderAsync(provider => ApiBenchmark.RunAsync(apiRecords, perCall, reads, provider, ct), ct);
                if (json) await output.WriteLineAsync(JsonSerializer.Serialize(new { benchmark = "api", result = api }, Json));
                else
                {
                    await output.WriteLineAsync($"bench api: {api.Records:N0} BPO records with images by hash, pushed in calls of {api.PerCall:N0}, through the real web host");
                    await output.WriteLineAsync($"  push   {api.PushSeconds,7:0.00} s  {api.PushRecordsPerSecond,9:N0} records/s   file import of the same records {api.FileSeconds:0.00} s ({api.FileRecordsPerSecond:N0}/s)   ratio {api.PushToFile:0.00} (target >= 0.5)");
                    await output.WriteLineAsync($"  paging {api.PagingSeconds,7:0.00} s for {api.Pairs:N0} pairs (1,000 a page)   TRL export of them {api.ExportSeconds:0.00} s   ratio {api.PagingToExport:0.00}x (target <= 3x)");
                    await output.WriteLineAsync($"  one-pair GET p50 {api.OnePairP50Ms:0.0} ms  p95 {api.OnePairP95Ms:0.0} ms (target p95 < 20 ms)");
                }
                return 0;
            case "circuit":
                var (pages, perPage) = ((int)ParsePositive(args.Option("pages") ?? "20", "pages"), (int)ParsePositive(args.Option("decisions") ?? "50", "decisions"));
                var (circuitPairs, chromium) = (ParsePositive(args.Option("pairs") ?? "20000", "pairs"), args.Option("chromium") ?? "/usr/bin/chromium");
                var circuit = await data.WithProviderAsync(provider => CircuitBenchmark.RunAsync(pages, perPage, circuitPairs, chromium, provider, ct), ct);
                if (json) await output.WriteLineAsync(JsonSerializer.Serialize(new { benchmark = "circuit", result = circuit }, Json));
                else
                {
                    await output.WriteLineAsync($"bench circuit: {circuit.Pages} Chromium pages, each its own annotator, pressing A {circuit.Decisions / circuit.Pages} times ({circuit.Decisions:N0} decisions in {circuit.Seconds:0.0} s)");
                    await output.WriteLineAsync($"  server CPU per decision {circuit.ServerCpuMsPerDecision,6:0.0} ms (target < 10)   the review services alone {circuit.ServiceCpuMsPerDecision:0.0} ms   ratio {circuit.CpuToService:0.0}x");
                    await output.WriteLineAsync($"  allocated per decision  {circuit.ServerAllocatedKbPerDecision,6:N0} KB   the review services alone {circuit.ServiceAllocatedKbPerDecision:N0} KB");
                    await output.WriteLineAsync($"  A to the next pair on screen p50 {circuit.KeyToNextPair.P50Ms:0.0} ms  p95 {circuit.KeyToNextPair.P95Ms:0.0} ms");
                    await output.WriteLineAsync($"  managed memory per open circuit {circuit.HeapMbPerOpenCircuit:0.00} MB (target < 1), after the decisions {circuit.HeapMbPerCircuitAfterDecisions:0.00} MB; working set {circuit.WorkingSetMbPerOpenCircuit:0.00} MB");
                }
                return 0;
            case "judge":
                var (judgePairs, latency) = (ParsePositive(args.Option("pairs") ?? "20000", "pairs"), (int)ParsePositive(args.Option("latency-ms") ?? "300", "latency-ms"));
                var (concurrency, calibration) = ((int)ParsePositive(args.Option("concurrency") ?? "16", "concurrency"), args.Option("calibration-pairs") is { } more ? ParsePositive(more, "calibration-pairs") : 0);
                var judged = await data.WithProviderAsync(provider => JudgeBenchmark.RunAsync(judgePairs, latency, concurrency, calibration, provider, ct), ct);
                if (json) await output.WriteLineAsync(JsonSerializer.Serialize(new { benchmark = "judge", result = judged }, Json));
                else
                {
                    await output.WriteLineAsync($"bench judge: {judged.Pairs:N0} pairs, both orders ({judged.Calls:N0} calls) against a loopback server answering in {judged.LatencyMs} ms, {judged.Concurrency} calls in flight");
                    await output.WriteLineAsync($"  judge  {judged.Seconds,7:0.00} s  {judged.PairsPerSecond,8:0.0} pairs/s   bound {judged.BoundPairsPerSecond:0.0} pairs/s (concurrency / (2 x latency))   ratio {judged.Ratio:0.00} (target >= 0.85)");
                    await output.WriteLineAsync($"  calibration over {judged.CalibrationPairs:N0} scored pairs: {judged.CalibrationSeconds:0.00} s (target < 2 s at 1,000,000)");
                }
                return 0;
            case "import":
                var records = ParsePositive(args.Option("records") ?? "1000000", "records");
                await data.WithThrowawayAsync(async scratch =>
                    WriteImport(output, await scratch.GetRequiredService<ImportBenchmark>().RunAsync(records, scratch.GetRequiredService<BpoStudio.Core.DataPaths>().Uploads, ct), json), ct);
                return 0;
            case "export":
                var exportPairs = ParsePositive(args.Option("pairs") ?? "1000000", "pairs");
                var rounds = (int)ParsePositive(args.Option("rounds") ?? "3", "rounds");
                await data.WithThrowawayAsync(async scratch =>
                    WriteExport(output, await scratch.GetRequiredService<ExportBenchmark>().RunAsync(exportPairs, scratch.GetRequiredService<BpoStudio.Core.DataPaths>().Uploads, rounds, args.Flag("draft"), ct), json), ct);
                return 0;
            case "generate":
                var (size, sizeName) = args.Option("size") switch
                {
                    null or "smollm2-135m" => (BpoStudio.Core.Generation.SyntheticModelSize.SmolLm2Like, "smollm2-135m"),
                    "tiny" => (new BpoStudio.Core.Generation.SyntheticModelSize(), "tiny"),
                    var other => throw new CliUsageException($"--size must be smollm2-135m or tiny, not '{other}'"),
                };
                var promptTokens = (int)ParsePositive(args.Option("prompt") ?? "128", "prompt");
                var decodeTokens = (int)ParsePositive(args.Option("tokens") ?? "64", "tokens");
                var batchSizes = (args.Option("batch") ?? "1,4,8").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(b => (int)ParsePositive(b, "batch")).Distinct().Order().ToList();
                var provider = args.Option("provider");
                KvCacheHome? cacheHome = args.Option("kv-cache") switch
                {
                    null => null,
                    "host" => KvCacheHome.Host,
                    "provider" => KvCacheHome.Provider,
                    var other => throw new CliUsageException($"--kv-cache must be host or provider, not '{other}'"),
                };
                var jobSamples = (int)ParsePositive(args.Option("job-samples") ?? "0", "job-samples", allowZero: true);
                GenerateBenchmarkResult? engine = null;
                await data.WithThrowawayAsync(async scratch => engine = await new GenerateBenchmark().RunAsync(size, sizeName, promptTokens, decodeTokens,
                    scratch.GetRequiredService<BpoStudio.Core.DataPaths>().Models, batchSizes, provider, cacheHome, ct), ct);
                WriteGenerate(output, engine!, await GenerationJobsAsync(data, jobSamples, ct), json);
                return 0;
            case "triage":
                var triagePairs = ParsePositive(args.Option("pairs") ?? "1000000", "pairs");
                var lookups = (int)ParsePositive(args.Option("lookups") ?? "200", "lookups");
                await data.WithThrowawayAsync(async scratch => WriteTriage(output, await scratch.GetRequiredService<TriageBenchmark>().RunAsync(triagePairs, lookups, ct), json), ct);
                return 0;
            case "all":
                return await AllAsync(data, args, output, json, ct);
            case "imaging":
                var iterations = (int)ParsePositive(args.Option("iterations") ?? "20", "iterations");
                WriteImaging(output, await services.GetRequiredService<ImagingBenchmark>().RunAsync(iterations, ct), json);
                return 0;
            default:
                throw new CliUsageException($"unknown workload '{workload}'");
        }
    }

    // The same weakened-image job at batch 1 and 8, each in its own throwaway data folder and database.
    private static async Task<List<GenerationJobFigure>> GenerationJobsAsync(BenchData data, int samples, CancellationToken ct)
    {
        var figures = new List<GenerationJobFigure>();
        if (samples == 0) return figures;
        var models = Path.Combine(Path.GetTempPath(), "bpostudio-bench-models-" + Guid.NewGuid().ToString("N"));
        try
        {
            GenerationJobBenchmark.WriteModel(models);
            foreach (var batch in new[] { 1, 8 })
                await data.WithThrowawayAsync(async scratch => figures.Add(await scratch.GetRequiredService<GenerationJobBenchmark>().RunAsync(batch, samples, ct)), ct,
                    $"--Generation:Local:ModelsDirectory={models}", $"--Generation:Local:VisionModel={GenerationJobBenchmark.ModelName}", $"--Generation:Local:BatchSize={batch}");
        }
        finally
        {
            if (Directory.Exists(models)) Directory.Delete(models, recursive: true);
        }
        return figures;
    }

    /// <summary>
    /// Every benchmark at a reduced size (a few minutes here), each ratio against its same-run baseline compared with the
    /// committed expected ratios; exit 1 on a regression of more than a quarter. Run it before merging a change to a hot path.
    /// </summary>
    private static async Task<int> AllAsync(BenchData data, CliArguments args, TextWriter output, bool json, CancellationToken ct)
    {
        // Resolved and read before the benchmarks run: a missing file fails at once, not after a minute of measuring.
        var expectedPath = Path.GetFullPath(args.Option("expected") ?? Path.Combine("benchmarks", "expected-ratios.json"));
        var write = args.Flag("write-expected");
        var expected = write ? null : await RegressionGuard.ReadAsync(expectedPath, ct);
        var ratios = new List<BenchRatio>();
        await data.WithThrowawayAsync(async s =>
        {
            var r = await s.GetRequiredService<ImportBenchmark>().RunAsync(100_000, s.GetRequiredService<BpoStudio.Core.DataPaths>().Uploads, ct);
            ratios.Add(new("import.speed-vs-parsing", r.RatioToBaseline, true, "records/s importing over records/s only parsing the same file"));
        }, ct);
        await data.WithThrowawayAsync(async s =>
        {
            var (first, third) = await s.GetRequiredService<ImportBenchmark>().RunGrowthAsync(5_000, s.GetRequiredService<BpoStudio.Core.DataPaths>().Uploads, ct);
            ratios.Add(new("import.third-file-vs-first", third / first, false, "seconds importing a third file of new records sharing images over the first"));
        }, ct);
        await data.WithThrowawayAsync(async s =>
        {
            var r = await s.GetRequiredService<ExportBenchmark>().RunAsync(100_000, s.GetRequiredService<BpoStudio.Core.DataPaths>().Uploads, rounds: 3, draft: false, ct);
            ratios.Add(new("export.time-vs-raw-write", r.RatioToRawWrite, false, "seconds exporting TRL over seconds writing the same bytes raw"));
        }, ct);
        await data.WithThrowawayAsync(async s =>
        {
            var r = await s.GetRequiredService<TriageBenchmark>().RunAsync(100_000, 100, ct);
            ratios.Add(new("triage.checks-vs-reading", r.ChecksSeconds / r.ReadBaselineSeconds, false, "all checks over reading the same rows"));
            ratios.Add(new("triage.dashboard-vs-count", r.DashboardMs / r.CountBaselineMs, false, "the dashboard over counting pairs by status"));
            ratios.Add(new("triage.bulk-accept-vs-update", r.BulkAcceptSeconds / r.UpdateBaselineSeconds, false, "a bulk accept over one bare UPDATE of the same rows"));
        }, ct);
        await data.WithThrowawayAsync(async s =>
        {
            var r = await s.GetRequiredService<TeamReviewBenchmark>().RunAsync(20_000, [1, 10], TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(6), ct);
            ratios.Add(new("review.ten-reviewers-vs-one", r.Rounds[^1].ScaleToOne, true, "decisions/s of 10 reviewers at once over one reviewer's"));
        }, ct);

        if (write)
        {
            await RegressionGuard.WriteAsync(expectedPath, ratios, ct);
            await output.WriteLineAsync($"Wrote {ratios.Count} expected ratios to {expectedPath}.");
            return 0;
        }
        var checks = RegressionGuard.Compare(ratios, expected!);
        if (json) await output.WriteLineAsync(JsonSerializer.Serialize(new { benchmark = "all", tolerance = RegressionGuard.Tolerance, checks }, Json));
        else
        {
            await output.WriteLineAsync($"bench all: each ratio against {expectedPath} (a regression is more than {RegressionGuard.Tolerance:P0} worse)");
            foreach (var c in checks)
                await output.WriteLineAsync($"  {(c.Regressed ? "REGRESSED" : "ok       ")} {c.Name,-32} {c.Measured,8:0.000}   expected {(c.Expected is { } e ? e.ToString("0.000") : "(none)"),8}   {c.Meaning}");
        }
        return checks.Any(c => c.Regressed) ? 1 : 0;
    }

    private static void WriteReview(TextWriter output, ReviewBenchmarkResult r, bool json)
    {
        var meets = r.AcceptAndNext.P95Ms < 50 && r.ColdOpenMs < 500;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "review", r.Pairs, r.SeedSeconds, r.ColdOpenMs, r.WarmOpenMs, r.AcceptAndNext, r.BaselineLookup, r.P95RatioToBaseline, targets = new { p95Ms = 50, coldOpenMs = 500 }, meetsTargets = meets }, Json));
            return;
        }
        output.WriteLine($"bench review: {r.Pairs:N0} pairs (seeded in {r.SeedSeconds:0.0} s)");
        output.WriteLine($"  open review page   cold {r.ColdOpenMs,8:0.0} ms   warm {r.WarmOpenMs,8:0.0} ms   (target cold < 500 ms)");
        output.WriteLine($"  accept + next      p50 {r.AcceptAndNext.P50Ms,8:0.00} ms   p95 {r.AcceptAndNext.P95Ms,8:0.00} ms   p99 {r.AcceptAndNext.P99Ms,8:0.00} ms   (target p95 < 50 ms, n={r.AcceptAndNext.Samples})");
        output.WriteLine($"  baseline lookup    p50 {r.BaselineLookup.P50Ms,8:0.00} ms   p95 {r.BaselineLookup.P95Ms,8:0.00} ms   p99 {r.BaselineLookup.P99Ms,8:0.00} ms");
        output.WriteLine($"  ratio p95 accept+next / baseline lookup: {r.P95RatioToBaseline:0.0}x   targets met: {(meets ? "yes" : "no")}");
    }

    private static void WriteTeamReview(TextWriter output, TeamReviewBenchmarkResult r, bool json)
    {
        var largest = r.Rounds[^1];
        var meets = new { noWaste = r.Rounds.All(x => x.Wasted == 0), scale = largest.Annotators < 50 || largest.ScaleToOne >= 30, p95 = r.Rounds.All(x => x.DecideAndNext.P95Ms < 50) };
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "review-team", r.Pairs, r.ThinkMs, r.SecondsPerRound, r.Rounds,
                targets = new { wasted = 0, scaleAt50 = 30, p95Ms = 50 }, meetsTargets = meets }, Json));
            return;
        }
        output.WriteLine($"bench review --annotators: {r.Pairs:N0} pairs, overlap 1, think {r.ThinkMs:0} ms, {r.SecondsPerRound:0} s a round, through ReviewQueue and ReviewService");
        foreach (var x in r.Rounds)
            output.WriteLine($"  {x.Annotators,3} annotators  {x.DecisionsPerSecond,8:0.0} decisions/s ({x.ScaleToOne,5:0.0}x one)   wasted {x.Wasted} of {x.Decisions + x.Wasted}   decide + next p50 {x.DecideAndNext.P50Ms:0.0} ms  p95 {x.DecideAndNext.P95Ms:0.0} ms");
        output.WriteLine($"  targets: no wasted attempt {(meets.noWaste ? "met" : "NOT met")}; 50 annotators >= 30x one {(meets.scale ? "met" : "NOT met")}; p95 < 50 ms {(meets.p95 ? "met" : "NOT met")}");
    }

    private static void WriteTriage(TextWriter output, TriageBenchmarkResult r, bool json)
    {
        var targets = new { checksSeconds = 30, checksAgainSeconds = 15, bulkAcceptSeconds = 10, findingNextP95Ms = 50, searchP95Ms = 100, dashboardMs = 500 };
        var meets = new
        {
            checks = r.ChecksSeconds < targets.checksSeconds, checksAgain = r.ChecksAgainSeconds < targets.checksAgainSeconds, bulkAccept = r.BulkAcceptSeconds < targets.bulkAcceptSeconds,
            findingNext = r.FindingNext.P95Ms < targets.findingNextP95Ms, search = r.SearchRare.P95Ms < targets.searchP95Ms, dashboard = r.DashboardMs < targets.dashboardMs,
        };
        var ratios = new
        {
            checksToRead = r.ChecksSeconds / r.ReadBaselineSeconds, findingNextToPlainNext = r.FindingNext.P95Ms / r.PlainNext.P95Ms,
            searchToLikeScan = r.SearchRare.P95Ms / r.LikeScan.P95Ms, dashboardToCount = r.DashboardMs / r.CountBaselineMs, bulkToBareUpdate = r.BulkAcceptSeconds / r.UpdateBaselineSeconds,
        };
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "triage", result = r, ratios, targets, meetsTargets = meets }, Json));
            return;
        }
        output.WriteLine($"bench triage: {r.Pairs:N0} pairs (seeded in {r.SeedSeconds:0.0} s)");
        output.WriteLine($"  all checks            {r.ChecksSeconds,8:0.00} s    reading the same rows {r.ReadBaselineSeconds,6:0.00} s   ratio {ratios.checksToRead:0.0}x   (target < 30 s; writes every pair's fingerprint, which the seed left out)");
        output.WriteLine($"  all checks again      {r.ChecksAgainSeconds,8:0.00} s    (fingerprints in place, as after an import; target < 15 s)");
        output.WriteLine($"    findings: {string.Join(", ", r.Findings.Where(f => f.Value > 0).Select(f => $"{f.Key} {f.Value:N0}"))}");
        output.WriteLine($"  has finding + next    p50 {r.FindingNext.P50Ms,7:0.00} ms  p95 {r.FindingNext.P95Ms,7:0.00} ms   unfiltered next p95 {r.PlainNext.P95Ms,6:0.00} ms   ratio {ratios.findingNextToPlainNext:0.0}x   (target p95 < 50 ms)");
        output.WriteLine($"  search (rare word)    p50 {r.SearchRare.P50Ms,7:0.00} ms  p95 {r.SearchRare.P95Ms,7:0.00} ms   LIKE scan p95 {r.LikeScan.P95Ms,8:0.0} ms   ratio {ratios.searchToLikeScan:0.0000}x   (target p95 < 100 ms)");
        output.WriteLine($"  search (common words) p50 {r.SearchCommon.P50Ms,7:0.00} ms  p95 {r.SearchCommon.P95Ms,7:0.00} ms");
        output.WriteLine($"  dashboard             {r.DashboardMs,8:0.0} ms   triage overview {r.TriageOverviewMs,8:0.0} ms   counting by status {r.CountBaselineMs,6:0.0} ms   (target dashboard < 0.5 s)");
        output.WriteLine($"  bulk accept           {r.BulkAcceptSeconds,8:0.00} s    one bare UPDATE {r.UpdateBaselineSeconds,6:0.00} s   ratio {ratios.bulkToBareUpdate:0.0}x   undo {r.BulkUndoSeconds:0.00} s   ({r.BulkApplied:N0} pairs; target < 10 s)");
    }

    private static void WriteGenerate(TextWriter output, GenerateBenchmarkResult r, IReadOnlyList<GenerationJobFigure> jobs, bool json)
    {
        var jobRatio = jobs.Count == 2 ? jobs[1].AnswersPerHour / jobs[0].AnswersPerHour : (double?)null;
        var batch8 = r.Batches.FirstOrDefault(b => b.BatchSize == 8);
        bool? meets = r.Size == "tiny" ? null : r.LoopOverhead < 0.05 && r.RatioToBandwidthBound >= 0.6 && (batch8 is null || batch8.RatioToBatch1 >= 3);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "generate", r.Size, r.WeightMegabytes, r.PromptTokens, r.DecodeTokens, r.Provider, r.ProviderNotes, r.KvCache, r.PrefillTokensPerSecond, r.DecodeTokensPerSecond,
                r.RawStepsPerSecond, r.LoopOverhead, r.BandwidthGigabytesPerSecond, r.BandwidthBoundTokensPerSecond, r.RatioToBandwidthBound,
                batches = r.Batches.Select(b => new { b.BatchSize, b.DecodeTokensPerSecond, ratioToBatch1 = double.IsNaN(b.RatioToBatch1) ? (double?)null : b.RatioToBatch1, b.MillisecondsPerStep, b.PrefillTokensPerSecond }),
                r.Refill, jobs = jobs.Select(j => new { j.BatchSize, j.Samples, j.Answers, j.Tokens, j.Seconds, j.AnswersPerHour, j.TokensPerSecond }), jobRatioBatch8ToBatch1 = jobRatio,
                targets = new { loopOverhead = 0.05, ratioToBandwidthBound = 0.6, batch8RatioToBatch1 = 3 }, meetsTargets = meets }, Json));
            return;
        }
        output.WriteLine($"bench generate: {r.Size} decoder, random weights ({r.WeightMegabytes:0} MB read per token), {r.PromptTokens} prompt + {r.DecodeTokens} new tokens on {r.Provider}");
        foreach (var note in r.ProviderNotes) output.WriteLine($"  passed over {note}");
        output.WriteLine($"  KV cache in {r.KvCache}");
        output.WriteLine($"  prefill     {r.PrefillTokensPerSecond,10:0.0} tokens/s");
        output.WriteLine($"  decode      {r.DecodeTokensPerSecond,10:0.0} tokens/s   raw Run calls {r.RawStepsPerSecond:0.0} steps/s   loop overhead {r.LoopOverhead:P1}   (target < 5 %)");
        output.WriteLine($"  bandwidth   {r.BandwidthGigabytesPerSecond,10:0.0} GB/s   bound {r.BandwidthBoundTokensPerSecond:0.0} tokens/s   decode / bound {r.RatioToBandwidthBound:P0}   (target >= 60 %)");
        foreach (var b in r.Batches)
            output.WriteLine($"  batch {b.BatchSize,-4} {b.DecodeTokensPerSecond,10:0.0} tokens/s   {(double.IsNaN(b.RatioToBatch1) ? "" : $"{b.RatioToBatch1:0.00}x batch 1")}   {b.MillisecondsPerStep:0.0} ms/step   prefill {b.PrefillTokensPerSecond:0} tokens/s{(b.BatchSize == 8 ? "   (target >= 3x)" : "")}");
        if (r.Refill is { } f)
            output.WriteLine($"  refill, batch {f.BatchSize}, {f.Sequences} mixed lengths: {f.RefillTokensPerSecond:0.0} tokens/s ({f.Occupancy:0.0} rows a step) vs draining first {f.StaticTokensPerSecond:0.0} ({f.StaticOccupancy:0.0} rows): {f.RefillTokensPerSecond / f.StaticTokensPerSecond:0.00}x; " +
                $"{f.InPlaceWrites} in-place writes at {f.MillisecondsPerInPlaceWrite:0.00} ms, {f.Rebuilds} rebuilds at {f.MillisecondsPerRebuild:0.00} ms, upkeep {f.UpkeepShare:P1} of the time");
        foreach (var j in jobs)
            output.WriteLine($"  job batch {j.BatchSize,-2} {j.Samples} weakened-image samples: {j.Answers} answers in {j.Seconds:0.0} s = {j.AnswersPerHour:N0} answers/hour, {j.TokensPerSecond:0.0} tokens/s{(j.BatchSize == 8 && jobRatio is { } ratio ? $"   {ratio:0.00}x batch 1" : "")}");
        output.WriteLine($"  targets met: {meets switch { null => "n/a for the tiny size", true => "yes", false => "no" }}");
    }

    private static void WriteExport(TextWriter output, ExportBenchmarkResult r, bool json)
    {
        bool? meets = r.Pairs < 1_000_000 ? null : r.ExportSeconds < 30 && r.RatioToRawWrite >= 0.5;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "export", r.Pairs, r.Draft, r.Rounds, r.SetupSeconds, r.ApproveSeconds, r.FirstExportSeconds, r.ExportSeconds, r.PairsPerSecond,
                r.Megabytes, r.MegabytesPerSecond, r.RawWriteSeconds, r.RawMegabytesPerSecond, r.RatioToRawWrite, r.HashSeconds,
                r.ExportCpuSeconds, r.ExportKernelSeconds, r.RawCpuSeconds, r.RawKernelSeconds, r.Cores, r.ReadCpuSeconds, r.FloorSeconds, r.BestRatioToRawWrite, targets = new { secondsFor1M = 30, ratioToRawWrite = 0.5 }, meetsTargets = meets }, Json));
            return;
        }
        output.WriteLine($"bench export: {r.Pairs:N0} accepted pairs {(r.Draft ? "as a draft (live pairs, joins)" : "of an approved version")} to TRL JSONL, no image copying (set up in {r.SetupSeconds:0.0} s, approved in {r.ApproveSeconds:0.0} s)");
        output.WriteLine($"  medians of {r.Rounds} rounds, each after the disk settled and an equal untimed write; the first export (cold code, not in the medians) took {r.FirstExportSeconds:0.00} s");
        output.WriteLine($"  export      {r.ExportSeconds,8:0.00} s   {r.PairsPerSecond,10:N0} pairs/s   {r.MegabytesPerSecond,8:0.0} MB/s   ({r.Megabytes:0} MB, {r.ExportCpuSeconds:0.00} s of processor time on {r.Cores} cores, {r.ExportKernelSeconds:0.00} s in the kernel)");
        output.WriteLine($"  raw write   {r.RawWriteSeconds,8:0.00} s   {"",10}           {r.RawMegabytesPerSecond,8:0.0} MB/s   (same bytes from memory, same pieces, same flush to disk; {r.RawCpuSeconds:0.00} s of processor time, {r.RawKernelSeconds:0.00} s in the kernel)");
        output.WriteLine($"  SHA-256     {r.HashSeconds,8:0.00} s   of the same bytes in memory, which the manifest needs and a raw write does not ({r.HashSeconds / r.RawWriteSeconds:0.00}x the raw write)");
        output.WriteLine($"  reading     {r.ReadCpuSeconds,8:0.00} s   of processor time to read the version's rows into samples once (one thread; nothing formatted, checked or written)");
        output.WriteLine($"  floor       {r.FloorSeconds,8:0.00} s   reading + SHA-256 + the raw write's processor time spread over {r.Cores} cores (never below the hash): this export cannot finish sooner here, so its ratio cannot pass {r.BestRatioToRawWrite:0.00}");
        output.WriteLine($"  export rate / raw write rate: {r.RatioToRawWrite:0.00}   targets (1M < 30 s, >= 0.5 of raw) met: {meets switch { null => "n/a below 1M pairs", true => "yes", false => "no" }}");
    }

    private static void WriteImport(TextWriter output, ImportBenchmarkResult r, bool json)
    {
        // The targets are stated for a million records; a smaller run cannot meet or miss them.
        bool? meets = r.Records < 1_000_000 ? null : r.ImportSeconds < 20 && r.RatioToBaseline >= 0.25 && r.PeakWorkingSetMegabytes < 500;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "import", r.Records, r.FileMegabytes, r.ImportSeconds, r.RecordsPerSecond, r.BaselineSeconds, r.BaselineRecordsPerSecond, r.RatioToBaseline, r.PeakWorkingSetMegabytes,
                r.SearchCatchUpSeconds, r.RowsIndexedAfter, targets = new { secondsFor1M = 20, ratioToParsing = 0.25, peakMegabytes = 500 }, meetsTargets = meets }, Json));
            return;
        }
        output.WriteLine($"bench import: {r.Records:N0} LLaVA records ({r.FileMegabytes:0} MB), no image copying");
        output.WriteLine($"  import      {r.ImportSeconds,8:0.0} s   {r.RecordsPerSecond,10:N0} records/s");
        output.WriteLine($"  parse only  {r.BaselineSeconds,8:0.0} s   {r.BaselineRecordsPerSecond,10:N0} records/s   (baseline: the same file read without storing)");
        output.WriteLine($"  then search {r.SearchCatchUpSeconds,8:0.0} s   for the full-text index to catch up on the {r.RowsIndexedAfter:N0} prompts and answers the import left it (searchable by substring meanwhile)");
        output.WriteLine($"  import speed / parse speed: {r.RatioToBaseline:0.00}   peak working set {r.PeakWorkingSetMegabytes:0} MB   targets (1M < 20 s, >= 0.25 of parsing, < 500 MB) met: {meets switch { null => "n/a below 1M records", true => "yes", false => "no" }}");
    }

    private static void WriteImaging(TextWriter output, ImagingBenchmarkResult r, bool json)
    {
        var meets = r.DiffusionRatioToImageMagick >= 2;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "imaging", r.Width, r.Height, r.Iterations, r.Transforms, r.ImageMagickPerSecond, r.ImageMagickCommand, r.DiffusionRatioToImageMagick, target = new { ratioToImageMagick = 2 }, meetsTarget = meets, r.Note }, Json));
            return;
        }
        output.WriteLine($"bench imaging: {r.Width}x{r.Height}, {r.Iterations} images per transform (end to end = decode PNG, transform, encode PNG)");
        foreach (var t in r.Transforms)
            output.WriteLine($"  {t.Transform,-22} {t.ImagesPerSecond,8:0.0} images/s end to end   {t.TransformOnlyPerSecond,8:0.0} images/s transform only");
        if (r.ImageMagickPerSecond is { } magick)
        {
            output.WriteLine($"  ImageMagick baseline   {magick,8:0.0} images/s   ({r.ImageMagickCommand})");
            output.WriteLine($"  diffusion-noise / ImageMagick: {r.DiffusionRatioToImageMagick:0.00}x   target >= 2x met: {(meets ? "yes" : "no")}");
        }
        else output.WriteLine($"  {r.Note}");
    }

    private static long ParsePositive(string text, string name, bool allowZero = false) =>
        long.TryParse(text, out var value) && (value > 0 || (allowZero && value == 0)) ? value
        : throw new CliUsageException($"--{name} must be a {(allowZero ? "whole number, 0 or more" : "positive whole number")}, not '{text}'");
}
