using System.Diagnostics;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Benchmarks;
using BpoStudio.Core.Review;

namespace BpoStudio.Cli;

public sealed record CircuitBenchmarkResult(
    int Pages, int Decisions, double Seconds, double ServerCpuMsPerDecision, double ServiceCpuMsPerDecision, double CpuToService,
    double ServerAllocatedKbPerDecision, double ServiceAllocatedKbPerDecision,
    LatencySummary KeyToNextPair, double HeapMbPerOpenCircuit, double HeapMbPerCircuitAfterDecisions, double WorkingSetMbPerOpenCircuit);

/// <summary>
/// The review page as a team uses it: real Chromium pages, each signed in as its own annotator, pressing A through the
/// queue against this process's web host. Server CPU per decision and managed memory per open circuit, beside the review
/// services' own CPU per decision (accept and serve the next pair, no page) measured in the same run.
/// </summary>
internal static class CircuitBenchmark
{
    private const string Password = "Bench-Pass-12345";

    /// <param name="provider">The database settings (none: SQLite in the host's throwaway folder).</param>
    public static async Task<CircuitBenchmarkResult> RunAsync(int pages, int decisionsPerPage, long pairs, string chromium, IReadOnlyList<string> provider, CancellationToken ct)
    {
        await using var host = await BenchWebHost.StartAsync("circuit", provider, ct);
        var services = host.Services;
        var datasetId = await services.GetRequiredService<ReviewBenchmark>().SeedAsync(pairs, ct);
        await using (var scope = services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserAdministration>();
            for (var i = 0; i <= pages; i++) await users.CreateAsync(Annotator(i), Password, [Roles.Annotator], ActorChecks.CommandLine);
        }

        await using var browser = await DevToolsBrowser.LaunchAsync(chromium, ct);
        var review = new Uri(host.Address, $"/review/{datasetId}");
        // One page first, deciding a few pairs: compiling and first queries are not what a circuit costs.
        var warm = await OpenReviewAsync(browser, review, 0, ct);
        for (var i = 0; i < 60; i++) await DecideAsync(warm, ct);

        // The baseline before the pages open, so that neither run shares the machine with the other's circuits.
        var (serviceCpu, serviceAllocated) = await ServiceCostPerDecisionAsync(services, datasetId, Math.Max(500, pages * decisionsPerPage), ct);
        var (heapBefore, workingSetBefore) = Memory();
        var open = new List<DevToolsPage>();
        foreach (var i in Enumerable.Range(1, pages)) open.Add(await OpenReviewAsync(browser, review, i, ct));
        var (heapOpen, workingSetOpen) = Memory();

        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var watch = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(open.Select(async page =>
        {
            var mine = new List<double>(decisionsPerPage);
            for (var d = 0; d < decisionsPerPage; d++) mine.Add(await DecideAsync(page, ct));
            return mine;
        }));
        watch.Stop();
        process.Refresh();
        var decisions = pages * decisionsPerPage;
        var serverCpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / decisions;
        var serverAllocated = (GC.GetTotalAllocatedBytes() - allocatedBefore) / 1024.0 / decisions;
        var (heapAfter, _) = Memory();

        foreach (var page in open.Append(warm)) await page.CloseAsync(ct);
        const double Mb = 1024 * 1024;
        return new CircuitBenchmarkResult(pages, decisions, watch.Elapsed.TotalSeconds, serverCpu, serviceCpu, serverCpu / serviceCpu, serverAllocated, serviceAllocated,
            LatencySummary.From([.. latencies.SelectMany(l => l)]), (heapOpen - heapBefore) / Mb / pages, (heapAfter - heapBefore) / Mb / pages,
            (workingSetOpen - workingSetBefore) / Mb / pages);
    }

    private static string Annotator(int i) => $"annotator-{i}@bench.test";

    private static async Task<DevToolsPage> OpenReviewAsync(DevToolsBrowser browser, Uri review, int annotator, CancellationToken ct)
    {
        var page = await browser.NewPageAsync(1440, 900, ct);
        await page.NavigateAsync(new Uri(review, $"/account/login?ReturnUrl={Uri.EscapeDataString(review.AbsolutePath)}").ToString(), ct);
        await WaitAcrossNavigationAsync(page, "document.getElementById('password') && document.readyState === 'complete'", ct);
        // Submitted after this call returns: the navigation would otherwise end the evaluation it started in.
        await page.EvaluateAsync($$"""
            document.getElementById('email').value = {{System.Text.Json.JsonSerializer.Serialize(Annotator(annotator))}};
            document.getElementById('password').value = {{System.Text.Json.JsonSerializer.Serialize(Password)}};
            setTimeout(() => document.querySelector('form.account-form').requestSubmit(), 0);
            true
            """, ct);
        await WaitAcrossNavigationAsync(page, "document.querySelector('[data-testid=pair][data-keyboard=ready]')", ct);
        return page;
    }

    // Until the page's new document answers: an evaluation sent while the old one unloads fails with it.
    private static async Task WaitAcrossNavigationAsync(DevToolsPage page, string condition, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await page.WaitForAsync(condition, TimeSpan.FromSeconds(30), ct);
                return;
            }
            catch (InvalidOperationException ex) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !ex.Message.StartsWith("In the page: Error: waited", StringComparison.Ordinal))
            {
                await Task.Delay(50, ct);
            }
        }
    }

    /// <summary>A press of A, until the next pair is on screen: milliseconds as the reviewer sees them.</summary>
    private static async Task<double> DecideAsync(DevToolsPage page, CancellationToken ct)
    {
        var before = (await page.EvaluateAsync("document.querySelector('[data-testid=pair]')?.dataset.pairId ?? ''", ct)).GetString();
        var watch = Stopwatch.StartNew();
        await page.PressAsync("a", ct);
        await page.WaitForAsync($"(document.querySelector('[data-testid=pair]')?.dataset.pairId ?? 'none') !== '{before}'", TimeSpan.FromSeconds(30), ct);
        return watch.Elapsed.TotalMilliseconds;
    }

    // The same decisions through the services alone (the page's queue, decision and progress calls), no circuit.
    private static async Task<(double CpuMs, double AllocatedKb)> ServiceCostPerDecisionAsync(IServiceProvider services, int datasetId, int decisions, CancellationToken ct)
    {
        var queue = services.GetRequiredService<ReviewQueue>();
        var reviews = services.GetRequiredService<ReviewService>();
        var me = ActorChecks.OnBehalfOf("bench-service-reviewer", Roles.Annotator);
        var pair = await queue.ServeAsync(datasetId, me, ct: ct);
        // Warm enough for the JIT's optimised tier (30 calls, then a background compile), as the pages' path gets.
        for (var i = 0; i < 200 && pair is not null; i++)
        {
            await reviews.AcceptAsync(pair.PairId, pair.RowVersion, me, ct);
            pair = await queue.ServeAsync(datasetId, me, ct: ct);
        }
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var done = 0;
        var allocated = GC.GetTotalAllocatedBytes();
        for (; done < decisions && pair is not null; done++)
        {
            await reviews.AcceptAsync(pair.PairId, pair.RowVersion, me, ct);
            pair = await queue.ServeAsync(datasetId, me, ct: ct);
        }
        process.Refresh();
        done = Math.Max(1, done);
        return ((process.TotalProcessorTime - cpuBefore).TotalMilliseconds / done, (GC.GetTotalAllocatedBytes() - allocated) / 1024.0 / done);
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        for (var i = 0; i < 3; i++) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }
}
