using System.Diagnostics;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Import;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Benchmarks;

/// <param name="ExportSeconds">The median of the rounds; <paramref name="FirstExportSeconds"/> is the first (cold) one.</param>
/// <param name="HashSeconds">SHA-256 over the same bytes in memory: work the manifest needs that a raw write does not do.</param>
/// <param name="ExportCpuSeconds">Processor time the process spent during the median export, all threads (the kernel's share of writing included):
/// steadier than the elapsed time on a machine whose disk speed moves between runs.</param>
public sealed record ExportBenchmarkResult(long Pairs, bool Draft, int Rounds, double SetupSeconds, double ApproveSeconds, double FirstExportSeconds, double ExportSeconds,
    double PairsPerSecond, double Megabytes, double MegabytesPerSecond, double RawWriteSeconds, double RawMegabytesPerSecond, double RatioToRawWrite, double HashSeconds,
    double ExportCpuSeconds, double RawCpuSeconds, int Cores);

/// <summary>
/// <c>bench export</c>: N accepted pairs (text only, so no image copying) approved into a version and exported to TRL
/// JSONL, against copying the exported bytes raw into a new file (both flushed to disk). Rounds alternate export and
/// raw copy, each after the disk has settled (the set-up leaves a gigabyte of dirty pages whose write-back would
/// otherwise slow whichever runs first), and the medians are compared.
/// </summary>
public sealed class ExportBenchmark(DatasetImporter importer, IDbContextFactory<BpoDbContext> dbFactory, ApprovalService approvals, ExportRunner runner)
{
    private static readonly ClaimsPrincipal BenchLead = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "bench"), new Claim(ClaimTypes.Role, Roles.Lead)], "bench"));

    public async Task<ExportBenchmarkResult> RunAsync(long pairs, string scratchFolder, int rounds = 3, bool draft = false, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var hashSeconds = 0.0;
        var setup = Stopwatch.StartNew();
        var source = Path.Combine(scratchFolder, "bench-bpo.jsonl");
        await WriteSyntheticFileAsync(source, (pairs + 1) / 2, ct);
        await importer.ImportAsync(new ImportRequest(source, "bench-export", null), ct: ct);
        var datasetId = await DatasetIdAsync(ct);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await db.Pairs.Where(p => p.DatasetId == datasetId).OrderBy(p => p.Id).Skip((int)Math.Min(pairs, int.MaxValue))
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Rejected), ct);
            await db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted), ct);
        }
        File.Delete(source);
        setup.Stop();

        var approve = Stopwatch.StartNew();
        var version = await approvals.ApproveAsync(datasetId, BenchLead, "bench", ct);
        approve.Stop();

        var options = new ExportOptions(datasetId, draft ? null : version.Number, ExportFormat.Trl, CopyImages: false);
        var plan = await runner.PlanAsync(options, "bench", makeZip: false, ct);
        var exports = new List<(double Seconds, double Cpu)>();
        var raws = new List<(double Seconds, double Cpu)>();
        var bytes = 0L;
        for (var round = 0; round < rounds; round++)
        {
            var target = Path.Combine(scratchFolder, $"bench-export-{round}");
            await SettleAsync(ct);
            var export = Timing.Start();
            var result = await runner.RunAsync(plan, target, ct: ct);
            exports.Add(export.Stop());
            if (result.Manifest.Counts.Pairs != pairs) throw new InvalidOperationException($"The benchmark exported {result.Manifest.Counts.Pairs:N0} of {pairs:N0} pairs.");

            var file = Path.Combine(target, "train.jsonl");
            bytes = new FileInfo(file).Length;
            var copy = Path.Combine(scratchFolder, $"raw-{round}.jsonl");
            await SettleAsync(ct);
            var raw = Timing.Start();
            await CopyRawAsync(file, copy, ct);
            raws.Add(raw.Stop());
            if (round == rounds - 1) hashSeconds = await TimeHashAsync(file, ct);
            File.Delete(copy);
            Directory.Delete(target, recursive: true);
        }
        var megabytes = bytes / 1e6;
        var (exportSeconds, exportCpu) = Median(exports);
        var (rawSeconds, rawCpu) = Median(raws);
        return new ExportBenchmarkResult(pairs, draft, rounds, setup.Elapsed.TotalSeconds, approve.Elapsed.TotalSeconds, exports[0].Seconds, exportSeconds, pairs / exportSeconds,
            megabytes, megabytes / exportSeconds, rawSeconds, megabytes / rawSeconds, rawSeconds / exportSeconds, hashSeconds, exportCpu, rawCpu, Environment.ProcessorCount);
    }

    private static (double Seconds, double Cpu) Median(List<(double Seconds, double Cpu)> rounds) => rounds.OrderBy(r => r.Seconds).ElementAt(rounds.Count / 2);

    /// <summary>Elapsed and processor time of one timed step.</summary>
    private readonly record struct Timing(long StartTicks, TimeSpan StartCpu)
    {
        public static Timing Start() => new(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime);

        public (double Seconds, double Cpu) Stop() =>
            (Stopwatch.GetElapsedTime(StartTicks).TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - StartCpu).TotalSeconds);
    }

    private async Task SettleAsync(CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            if (db.Database.IsSqlite()) await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)", ct);
        DiskSync.FlushAll();
    }

    private static async Task<double> TimeHashAsync(string file, CancellationToken ct)
    {
        var content = await File.ReadAllBytesAsync(file, ct);
        var hash = Stopwatch.StartNew();
        SHA256.HashData(content);
        return hash.Elapsed.TotalSeconds;
    }

    private async Task<int> DatasetIdAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Datasets.Where(d => d.Name == "bench-export").Select(d => d.Id).SingleAsync(ct);
    }

    // The same bytes, the same buffer size and the same flush to disk as the exporter's writer.
    private static async Task CopyRawAsync(string from, string to, CancellationToken ct)
    {
        await using var input = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        await using var output = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        await input.CopyToAsync(output, 1 << 20, ct);
        await output.FlushAsync(ct);
        output.Flush(flushToDisk: true);
    }

    private static async Task WriteSyntheticFileAsync(string path, long records, CancellationToken ct)
    {
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        for (long i = 0; i < records; i++)
        {
            await writer.WriteLineAsync($$"""{"id":"{{i:D9}}","prompt":"What is the person in picture {{i}} doing?","completions":[{"score":1,"response":"The person in picture {{i}} is riding a red bicycle along a quiet street next to two parked cars.","type":"gt"},{"score":0,"response":"The person in picture {{i}} is riding a blue motorcycle along a busy street next to three parked buses.","type":"llm-hal"},{"score":0,"response":"The person in picture {{i}} is walking a dog along a quiet beach next to two parked boats.","type":"mllm-hal"}]}""");
            if (i % 100_000 == 0) ct.ThrowIfCancellationRequested();
        }
    }
}
