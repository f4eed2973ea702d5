using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json;
using BpoStudio.Core.Generation;
using Microsoft.ML.OnnxRuntime;

namespace BpoStudio.Core.Benchmarks;

public sealed record GenerateBenchmarkResult(string Size, double WeightMegabytes, int PromptTokens, int DecodeTokens, string Provider,
    double PrefillTokensPerSecond, double DecodeTokensPerSecond, double RawStepsPerSecond, double LoopOverhead,
    double BandwidthGigabytesPerSecond, double BandwidthBoundTokensPerSecond, double RatioToBandwidthBound, IReadOnlyList<BatchFigure> Batches,
    IReadOnlyList<string> ProviderNotes, RefillFigure? Refill, string KvCache);

/// <summary>
/// Mixed prompt and answer lengths at the largest batch: rows refilled as sequences finish against a batch that drains
/// first (wall-clock tokens/s, prefill included), and what each kind of cache upkeep cost.
/// </summary>
public sealed record RefillFigure(int BatchSize, int Sequences, double StaticTokensPerSecond, double RefillTokensPerSecond, double Occupancy, double StaticOccupancy,
    long InPlaceWrites, double MillisecondsPerInPlaceWrite, long Rebuilds, double MillisecondsPerRebuild, double UpkeepShare);

/// <summary>B sequences decoded together: aggregate decode tokens/s and its ratio to batch 1 in the same run.</summary>
public sealed record BatchFigure(int BatchSize, double DecodeTokensPerSecond, double RatioToBatch1, double MillisecondsPerStep, double PrefillTokensPerSecond);

/// <summary>
/// <c>bench generate</c>: a random-weight decoder with SmolLM2-135M's dimensions (or a tiny one) run through the real
/// decode loop, against back-to-back raw <c>Run</c> calls on the same graph and against the memory-bandwidth bound
/// measured in the same run (decode reads every weight once per token).
/// </summary>
public sealed class GenerateBenchmark
{
    private const int Rounds = 3;

    public async Task<GenerateBenchmarkResult> RunAsync(SyntheticModelSize size, string sizeName, int promptTokens, int decodeTokens, string scratch,
        IReadOnlyList<int>? batchSizes = null, string? provider = null, KvCacheHome? cacheHome = null, CancellationToken ct = default)
    {
        var folder = Path.Combine(scratch, "bench-model");
        SyntheticModels.WriteSmolVlmFolder(folder, size, seed: 1, withVision: false);
        var manifest = ModelManifest.Load(folder) with { EosTokenIds = [] };
        File.WriteAllText(Path.Combine(folder, ModelManifest.FileName), JsonSerializer.Serialize(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

        using var generator = OnnxGenerator.Open(folder, provider: provider, cacheHome: cacheHome);
        var random = new Random(1);
        var prompt = Enumerable.Range(0, promptTokens).Select(_ => (long)random.Next(size.Vocab - 1)).ToArray();
        // Best of three for both the loop and the raw calls, alternating, so a slow spell of a shared machine hits
        // both alike; the first run also grows ONNX Runtime's memory arenas.
        var runs = new List<List<double>>();
        var raw = new List<double>();
        for (var i = 0; i < Rounds; i++)
        {
            runs.Add(await GenerateAsync(generator, prompt, decodeTokens + 1, ct));
            raw.Add(RawSteps(Path.Combine(folder, manifest.DecoderFile), size, promptTokens, decodeTokens, generator));
        }
        var prefill = runs.Min(r => r[0]);
        var decodeSeconds = runs.Min(r => r[^1] - r[0]);
        var rawSeconds = raw.Min();
        var loopPerStep = decodeSeconds / decodeTokens;
        var rawPerStep = rawSeconds / decodeTokens;
        var bandwidth = MeasureBandwidth();
        var bound = bandwidth / size.WeightBytesPerToken;
        var decodeRate = decodeTokens / decodeSeconds;
        var batches = await BatchesAsync(generator, size, promptTokens, decodeTokens, batchSizes ?? [], ct);
        var refill = batchSizes is { Count: > 0 } && batchSizes.Max() > 1 ? await RefillAsync(generator, size, promptTokens, decodeTokens, batchSizes.Max(), ct) : null;
        return new GenerateBenchmarkResult(sizeName, size.WeightBytesPerToken / 1e6, promptTokens, decodeTokens, generator.Provider.Provider,
            promptTokens / prefill, decodeRate, 1 / rawPerStep, loopPerStep / rawPerStep - 1, bandwidth / 1e9, bound, decodeRate / bound, batches, generator.Provider.Notes, refill, generator.CacheDescription);
    }

    // Each size decodes B different prompts of the same length for the same number of tokens: no refill, so the
    // figure is the decoder's, and batch 1 runs the same code as the rest.
    private static async Task<List<BatchFigure>> BatchesAsync(OnnxGenerator generator, SyntheticModelSize size, int promptTokens, int decodeTokens, IReadOnlyList<int> sizes, CancellationToken ct)
    {
        var figures = new List<BatchFigure>();
        foreach (var batch in sizes)
        {
            var random = new Random(batch);
            var requests = Enumerable.Range(0, batch).Select(i => new GenerationRequest(
                Enumerable.Range(0, promptTokens).Select(_ => (long)random.Next(size.Vocab - 1)).ToArray(), new SamplingSettings(MaxNewTokens: decodeTokens + 1, Seed: i))).ToList();
            BatchStatistics? best = null;
            for (var round = 0; round < 2; round++) // the first grows the arenas for this batch's shapes
            {
                var generatorForBatch = new BatchGenerator(generator, batch);
                await foreach (var _ in generatorForBatch.RunAsync(requests, ct)) { }
                if (best is null || generatorForBatch.Statistics.Decode < best.Decode) best = generatorForBatch.Statistics;
            }
            var rate = best!.DecodeTokens / best.Decode.TotalSeconds;
            figures.Add(new BatchFigure(batch, rate, figures.Count > 0 && figures[0].BatchSize == 1 ? rate / figures[0].DecodeTokensPerSecond : double.NaN,
                best.Decode.TotalMilliseconds / best.Steps, best.PrefillTokens / best.Prefill.TotalSeconds));
        }
        return figures;
    }

    // Seconds since the start at which each token arrived.
    private static async Task<List<double>> GenerateAsync(OnnxGenerator generator, long[] prompt, int tokens, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var stamps = new List<double>(tokens);
        await foreach (var _ in generator.GenerateAsync(prompt, null, new SamplingSettings(MaxNewTokens: tokens), ct)) stamps.Add(clock.Elapsed.TotalSeconds);
        return stamps;
    }

    private static async Task<RefillFigure> RefillAsync(OnnxGenerator generator, SyntheticModelSize size, int promptTokens, int decodeTokens, int batch, CancellationToken ct)
    {
        var random = new Random(7);
        var requests = Enumerable.Range(0, 3 * batch).Select(i => new GenerationRequest(
            Enumerable.Range(0, random.Next(promptTokens / 2, promptTokens + 1)).Select(_ => (long)random.Next(size.Vocab - 1)).ToArray(),
            new SamplingSettings(MaxNewTokens: random.Next(Math.Max(1, decodeTokens / 4), 2 * decodeTokens + 1), Seed: i))).ToList();
        async Task<(double Seconds, BatchStatistics Statistics)> RunAsync(bool refill)
        {
            var clock = Stopwatch.StartNew();
            var run = new BatchGenerator(generator, batch, refill);
            await foreach (var _ in run.RunAsync(requests, ct)) { }
            return (clock.Elapsed.TotalSeconds, run.Statistics);
        }
        var (staticSeconds, drained) = await RunAsync(refill: false);
        var (refillSeconds, refilled) = await RunAsync(refill: true);
        return new RefillFigure(batch, requests.Count, drained.DecodeTokens / staticSeconds, refilled.DecodeTokens / refillSeconds, refilled.Occupancy, drained.Occupancy,
            refilled.InPlaceRefills, refilled.InPlaceRefills == 0 ? 0 : refilled.InPlaceTime.TotalMilliseconds / refilled.InPlaceRefills,
            refilled.Rebuilds, refilled.Rebuilds == 0 ? 0 : refilled.RebuildTime.TotalMilliseconds / refilled.Rebuilds, refilled.CacheUpkeep.TotalSeconds / refillSeconds);
    }

    /// <summary>
    /// Back-to-back decoder Run calls with the loop's shapes: a prefill-length past that grows by one each step, the
    /// previous step's present tensors fed back, and nothing else (no embedding, sampling or bookkeeping). The same
    /// provider as the loop; on a GPU its session keeps the present tensors there too, as the loop's cache does.
    /// </summary>
    private static double RawSteps(string decoderPath, SyntheticModelSize s, int past, int steps, OnnxGenerator loop)
    {
        var (options, _) = ExecutionProviders.Create(only: loop.Provider.Provider);
        using var session = new InferenceSession(decoderPath, options);
        options.Dispose();
        using var cacheMemory = loop.CacheHome == KvCacheHome.Provider ? ExecutionProviders.DeviceMemory(loop.Provider.Provider) : null;
        var outputs = new List<string> { "logits" };
        for (var l = 0; l < s.Layers; l++) outputs.AddRange([$"present.{l}.key", $"present.{l}.value"]);
        var embeds = OrtValue.CreateTensorValueFromMemory(new float[s.Hidden], [1, 1, s.Hidden]);
        var cache = Enumerable.Range(0, 2 * s.Layers).Select(_ => OrtValue.CreateTensorValueFromMemory(new float[s.KvHeads * past * s.HeadSize], [1, s.KvHeads, past, s.HeadSize])).ToArray();
        using var run = new RunOptions();
        var clock = new Stopwatch();
        for (var i = 0; i <= steps; i++)
        {
            if (i == 1) clock.Start(); // the first call is a warm-up
            var length = past + i;
            using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, length + 1).ToArray(), [1, length + 1]);
            using var position = OrtValue.CreateTensorValueFromMemory(new[] { (long)length }, [1, 1]);
            var names = new List<string> { "inputs_embeds", "attention_mask", "position_ids" };
            var values = new List<OrtValue> { embeds, mask, position };
            for (var l = 0; l < s.Layers; l++)
            {
                names.AddRange([$"past_key_values.{l}.key", $"past_key_values.{l}.value"]);
                values.AddRange([cache[2 * l], cache[2 * l + 1]]);
            }
            using var binding = session.CreateIoBinding();
            for (var n = 0; n < names.Count; n++) binding.BindInput(names[n], values[n]);
            binding.BindOutputToDevice(outputs[0], OrtMemoryInfo.DefaultInstance);
            foreach (var output in outputs.Skip(1)) binding.BindOutputToDevice(output, cacheMemory ?? OrtMemoryInfo.DefaultInstance);
            session.RunWithBinding(run, binding);
            var results = binding.GetOutputValues().ToArray();
            results[0].Dispose();
            foreach (var old in cache) old.Dispose();
            cache = results[1..];
        }
        var seconds = clock.Elapsed.TotalSeconds;
        embeds.Dispose();
        foreach (var value in cache) value.Dispose();
        return seconds;
    }

    /// <summary>Read bandwidth: the best of three sums over 512 MB, split across the cores like the model's threads.</summary>
    private static double MeasureBandwidth()
    {
        var data = new float[128 * 1024 * 1024];
        data.AsSpan().Fill(1f);
        var parts = Environment.ProcessorCount;
        var best = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            var sums = new float[parts];
            Parallel.For(0, parts, p =>
            {
                var chunk = data.Length / parts;
                sums[p] = TensorPrimitives.Sum(data.AsSpan(p * chunk, chunk));
            });
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
            if (sums.Sum() <= 0) throw new InvalidOperationException("unreachable: keeps the sums alive");
        }
        return data.Length * 4.0 / best;
    }
}
