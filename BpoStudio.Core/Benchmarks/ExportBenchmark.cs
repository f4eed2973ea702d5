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

/// <param name="ExportSeconds">The median of the rounds; <paramref name="FirstExportSeconds"/> is an untimed first (cold) one before them.</param>
/// <param name="HashSeconds">SHA-256 over the same bytes in memory: work the manifest needs that a raw write does not do.</param>
/// <param name="ExportCpuSeconds">Processor time the process spent during the median export, all threads (the kernel's share of writing included):
/// steadier than the elapsed time on a machine whose disk speed moves between runs.</param>
/// <param name="ReadCpuSeconds">Processor time of reading the version's rows into samples once, one thread, nothing formatted or written.</param>
public sealed record ExportBenchmarkResult(long Pairs, bool Draft, int Rounds, double SetupSeconds, double ApproveSeconds, double FirstExportSeconds, double ExportSeconds,
    double PairsPerSecond, double Megabytes, double MegabytesPerSecond, double RawWriteSeconds, double RawMegabytesPerSecond, double RatioToRawWrite, double HashSeconds,
    double ExportCpuSeconds, double RawCpuSeconds, int Cores, double ExportKernelSeconds, double RawKernelSeconds, double ReadCpuSeconds)
{
    /// <summary>
    /// The fastest this exporter could be on this machine: reading the rows, hashing and the raw write's own processor time
    /// spread perfectly over every core, and never below the hash, which runs through each file in order. Formatting,
    /// the loader checks and the manifest are left out, so the real bound is higher.
    /// </summary>
    public double FloorSeconds => Math.Max(HashSeconds, (ReadCpuSeconds + HashSeconds + RawCpuSeconds) / Cores);

    public double BestRatioToRawWrite => RawWriteSeconds / FloorSeconds;
}

/// <summary>
/// <c>bench export</c>: N accepted pairs (text only, so no image copying) approved into a version and exported to TRL
/// JSONL, against writing the exported bytes raw from memory into a new file (both flushed to disk). Rounds alternate
/// export and raw write, each after the disk has settled (the set-up leaves a gigabyte of dirty pages whose write-back
/// would otherwise slow whichever runs first) and an equal untimed write, and the medians are compared.
/// </summary>
public sealed class ExportBenchmark(DatasetImporter importer, IDbContextFactory<BpoDbContext> dbFactory, ApprovalService approvals, ExportRunner runner, ExportSource source)
{
    private static readonly ClaimsPrincipal BenchLead = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "bench"), new Claim(ClaimTypes.Role, Roles.Lead)], "bench"));

    public async Task<ExportBenchmarkResult> RunAsync(long pairs, string scratchFolder, int rounds = 3, bool draft = false, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
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
        // An untimed first export: its bytes are the raw write's, and code and caches are warm for the timed rounds.
        var coldTarget = Path.Combine(scratchFolder, "bench-export-cold");
        var cold = Timing.Start();
        var coldResult = await runner.RunAsync(plan, coldTarget, ct: ct);
        var coldSeconds = cold.Stop().Seconds;
        CheckAllExported(coldResult, pairs);
        var content = await ReadPiecesAsync(Path.Combine(coldTarget, "train.jsonl"), ct);
        Directory.Delete(coldTarget, recursive: true);
        var rawFile = Path.Combine(scratchFolder, "raw.jsonl");
        var exports = new List<Timed>();
        var raws = new List<Timed>();
        for (var round = 0; round < rounds; round++)
        {
            var target = Path.Combine(scratchFolder, $"bench-export-{round}");
            await PrepareAsync(content, scratchFolder, ct);
            var export = Timing.Start();
            var result = await runner.RunAsync(plan, target, ct: ct);
            exports.Add(export.Stop());
            CheckAllExported(result, pairs);
            Directory.Delete(target, recursive: true);

            await PrepareAsync(content, scratchFolder, ct);
            var raw = Timing.Start();
            await WriteRawAsync(content, rawFile, ct);
            raws.Add(raw.Stop());
            File.Delete(rawFile);
        }
        var hashSeconds = TimeHash(content);
        var read = await TimeReadAsync(plan, pairs, ct);
        var megabytes = content.Sum(s => (long)s.Length) / 1e6;
        var (exportSeconds, exportCpu, exportKernel) = Median(exports);
        var (rawSeconds, rawCpu, rawKernel) = Median(raws);
        return new ExportBenchmarkResult(pairs, draft, rounds, setup.Elapsed.TotalSeconds, approve.Elapsed.TotalSeconds, coldSeconds, exportSeconds, pairs / exportSeconds,
            megabytes, megabytes / exportSeconds, rawSeconds, megabytes / rawSeconds, rawSeconds / exportSeconds, hashSeconds, exportCpu, rawCpu, Environment.ProcessorCount,
            exportKernel, rawKernel, read.Cpu);
    }

    private async Task<Timed> TimeReadAsync(ExportPlan plan, long pairs, CancellationToken ct)
    {
        var (chunks, _) = await source.ChunksAsync(plan.Options.DatasetId, pairs, ct);
        await using var reader = await source.OpenReaderAsync(plan.Options.DatasetId, plan.VersionId, plan.Options, ct);
        var timing = Timing.Start();
        long read = 0;
        foreach (var chunk in chunks)
            await foreach (var sample in reader.ReadAsync(chunk, ct)) read += sample.Pairs.Count;
        var timed = timing.Stop();
        if (read != pairs) throw new InvalidOperationException($"The benchmark read {read:N0} of {pairs:N0} pairs.");
        return timed;
    }

    /// <summary>The exported file's bytes in memory, in the 1 MB pieces the exporter writes.</summary>
    private static async Task<List<byte[]>> ReadPiecesAsync(string file, CancellationToken ct)
    {
        var pieces = new List<byte[]>();
        await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 0);
        while (input.Length > input.Position)
        {
            var piece = new byte[Math.Min(1 << 20, input.Length - input.Position)];
            await input.ReadExactlyAsync(piece, ct);
            pieces.Add(piece);
        }
        return pieces;
    }

    private static void CheckAllExported(ExportResult result, long pairs)
    {
        if (result.Manifest.Counts.Pairs != pairs) throw new InvalidOperationException($"The benchmark exported {result.Manifest.Counts.Pairs:N0} of {pairs:N0} pairs.");
    }

    /// <summary>
    /// Writes the disk's backlog out, then writes and deletes as many bytes as the timed step will: on a virtual machine
    /// the first write into memory the host has taken back pays a fault per page (it made the first of two equal writes
    /// five times slower here), and that must fall on neither side of the comparison.
    /// </summary>
    private async Task PrepareAsync(List<byte[]> content, string scratchFolder, CancellationToken ct)
    {
        await SettleAsync(ct);
        var warm = Path.Combine(scratchFolder, "warm.jsonl");
        await WriteRawAsync(content, warm, ct);
        File.Delete(warm);
        await SettleAsync(ct);
    }

    private static Timed Median(List<Timed> rounds) => rounds.OrderBy(r => r.Seconds).ElementAt(rounds.Count / 2);

    /// <summary>Elapsed time of a step, the process's processor time in it, and the kernel's part of that.</summary>
    private readonly record struct Timed(double Seconds, double Cpu, double Kernel);

    private readonly record struct Timing(long StartTicks, TimeSpan StartCpu, TimeSpan StartKernel)
    {
        public static Timing Start()
        {
            using var process = Process.GetCurrentProcess();
            return new(Stopwatch.GetTimestamp(), process.TotalProcessorTime, process.PrivilegedProcessorTime);
        }

        public Timed Stop()
        {
            var seconds = Stopwatch.GetElapsedTime(StartTicks).TotalSeconds;
            using var process = Process.GetCurrentProcess();
            return new(seconds, (process.TotalProcessorTime - StartCpu).TotalSeconds, (process.PrivilegedProcessorTime - StartKernel).TotalSeconds);
        }
    }

    private async Task SettleAsync(CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            if (db.Database.IsSqlite()) await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)", ct);
        DiskSync.FlushAll();
    }

    private static double TimeHash(List<byte[]> content)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var hash = Stopwatch.StartNew();
        foreach (var segment in content) sha.AppendData(segment);
        sha.GetHashAndReset();
        return hash.Elapsed.TotalSeconds;
    }

    private async Task<int> DatasetIdAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Datasets.Where(d => d.Name == "bench-export").Select(d => d.Id).SingleAsync(ct);
    }

    // The same bytes in the same pieces, unbuffered and flushed to disk, as the exporter's writer appends them.
    private static async Task WriteRawAsync(List<byte[]> content, string path, CancellationToken ct)
    {
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var segment in content) await output.WriteAsync(segment, ct);
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
