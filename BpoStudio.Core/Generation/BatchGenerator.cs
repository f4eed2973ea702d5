using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.ML.OnnxRuntime;

namespace BpoStudio.Core.Generation;

public enum StopReason
{
    Eos,
    MaxTokens,
    Cancelled,
}

/// <summary>One prompt for the batch: token ids, its own sampling settings (seed included) and, for a VLM, its preprocessed image pixels.</summary>
/// <param name="Pixels">Normalised pixels [images, 3, size, size]; the prompt holds as many image-token rows as the images need.</param>
/// <param name="Cancel">Ends this sequence alone; the batch goes on.</param>
public sealed record GenerationRequest(long[] PromptIds, SamplingSettings Settings, float[]? Pixels = null, int Images = 0, object? Tag = null, CancellationToken Cancel = default);

/// <summary>A finished sequence: the generated ids (eos included when it stopped there) and why it stopped.</summary>
public sealed record GenerationResult(GenerationRequest Request, IReadOnlyList<int> Tokens, StopReason Stop);

/// <summary>Where a batch's time went, for the benchmark and the job's figures.</summary>
public sealed class BatchStatistics
{
    public long Steps { get; internal set; }
    public long DecodeTokens { get; internal set; }
    public long PrefillTokens { get; internal set; }
    public long Sequences { get; internal set; }
    public long InPlaceRefills { get; internal set; }
    public long Rebuilds { get; internal set; }
    public TimeSpan Decode { get; internal set; }
    public TimeSpan Prefill { get; internal set; }
    public TimeSpan Vision { get; internal set; }
    public TimeSpan CacheUpkeep => InPlaceTime + RebuildTime;

    /// <summary>Time spent writing new sequences into free rows of the cache.</summary>
    public TimeSpan InPlaceTime { get; internal set; }

    /// <summary>Time spent building new caches (a longer prompt, rows to drop, dead columns to trim).</summary>
    public TimeSpan RebuildTime { get; internal set; }

    /// <summary>Time every row was free and no prompt was ready (the producer of prompts fell behind).</summary>
    public TimeSpan Starved { get; internal set; }

    /// <summary>Average rows per decode step.</summary>
    public double Occupancy => Steps == 0 ? 0 : (double)DecodeTokens / Steps;
}

/// <summary>
/// Decodes up to B sequences together: one decoder run per step serves every row, so a memory-bound decoder reads
/// its weights once for B tokens. Prompts are prefilled together with left padding, masks and position ids; each
/// sequence samples with its own seeded sampler and stops on its own (eos, max tokens, its cancellation). With
/// <c>refill</c>, a finished sequence's row takes the next prompt at once (written into the cache in place when it
/// fits, else the cache is rebuilt); without, the batch drains before new prompts come in (static batching).
/// </summary>
public sealed class BatchGenerator(OnnxGenerator model, int batchSize, bool refill = true)
{
    private sealed class Sequence(GenerationRequest request, int position)
    {
        public GenerationRequest Request { get; } = request;
        public TokenSampler Sampler { get; } = new(request.Settings);
        public HashSet<int> Seen { get; } = [.. request.PromptIds.Select(i => (int)i)];
        public List<int> Tokens { get; } = [];
        public int Position { get; set; } = position;
    }

    public BatchStatistics Statistics { get; } = new();

    public IAsyncEnumerable<GenerationResult> RunAsync(IEnumerable<GenerationRequest> requests, CancellationToken ct = default)
    {
        var channel = Channel.CreateUnbounded<GenerationRequest>();
        foreach (var request in requests) channel.Writer.TryWrite(request);
        channel.Writer.Complete();
        return RunAsync(channel.Reader, ct);
    }

    /// <summary>Results in the order sequences finish. Reads the next prompt only when a row is free, so a producer can stay just ahead.</summary>
    public async IAsyncEnumerable<GenerationResult> RunAsync(ChannelReader<GenerationRequest> requests, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "The batch size is at least 1.");
        await Task.Yield();
        using var runOptions = new RunOptions();
        using var stop = ct.Register(() => runOptions.Terminate = true);
        using var binding = model.CreateBinding();
        var slots = new List<Sequence?>();
        KvCache? cache = null;
        var done = new List<GenerationResult>();
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var idle = slots.All(s => s is null);
                var admitted = new List<GenerationRequest>();
                if (refill || idle)
                    while (admitted.Count < batchSize - slots.Count(s => s is not null) && requests.TryRead(out var request))
                    {
                        // Cancelled while it waited: not worth a prefill.
                        if (request.Cancel.IsCancellationRequested) done.Add(new GenerationResult(request, [], StopReason.Cancelled));
                        else admitted.Add(request);
                    }
                foreach (var result in done) yield return result;
                done.Clear();
                if (admitted.Count == 0 && idle)
                {
                    cache?.Dispose();
                    (cache, slots) = (null, []);
                    var waiting = Stopwatch.StartNew();
                    var more = await requests.WaitToReadAsync(ct);
                    Statistics.Starved += waiting.Elapsed;
                    if (!more) break;
                    continue;
                }
                if (admitted.Count > 0 || slots.Contains(null)) cache = Admit(admitted, slots, cache, done, runOptions, binding);
                foreach (var result in done) yield return result;
                done.Clear();
                if (cache is null) continue;
                DecodeStep(slots, cache, done, runOptions, binding);
                foreach (var result in done) yield return result;
                done.Clear();
            }
        }
        finally
        {
            cache?.Dispose();
        }
    }

    // New prompts are prefilled as one group; those still running go into free rows (in place) or a rebuilt cache.
    private KvCache? Admit(List<GenerationRequest> admitted, List<Sequence?> slots, KvCache? cache, List<GenerationResult> done, RunOptions runOptions, OrtIoBinding binding)
    {
        var (group, fresh) = admitted.Count > 0 ? Prefill(admitted, done, runOptions, binding) : (null, []);
        var clock = Stopwatch.StartNew();
        var holes = Enumerable.Range(0, slots.Count).Where(i => slots[i] is null).ToList();
        var incoming = Enumerable.Range(0, fresh.Count).Where(i => fresh[i] is not null).ToList();
        try
        {
            // New rows fit in the free ones, and afterwards most columns still hold someone's tokens: write them there.
            // Where most would be dead, one rebuild drops them instead of a write and a rebuild.
            if (cache is not null && holes.Count == incoming.Count && holes.Count < slots.Count && incoming.All(i => cache.Fits(group!, i))
                && cache.WasteAfterWriting(Enumerable.Range(0, slots.Count).Where(i => slots[i] is not null), group!, incoming) <= Math.Max(16, cache.Length / 4))
            {
                cache.WriteRows([.. holes.Zip(incoming)], group!);
                for (var k = 0; k < incoming.Count; k++) slots[holes[k]] = fresh[incoming[k]];
                Statistics.InPlaceRefills += incoming.Count;
                Statistics.InPlaceTime += clock.Elapsed;
                return cache;
            }
            if ((cache is null || holes.Count == slots.Count) && group is not null && incoming.Count == group.Rows)
            {
                cache?.Dispose();
                slots.Clear();
                slots.AddRange(fresh);
                (var adopted, group) = (group, null);
                return adopted;
            }
            var rows = new List<(KvCache Source, int Row)>();
            var sequences = new List<Sequence?>();
            for (var i = 0; cache is not null && i < slots.Count; i++)
                if (slots[i] is { } live)
                {
                    rows.Add((cache, i));
                    sequences.Add(live);
                }
            foreach (var i in incoming)
            {
                rows.Add((group!, i));
                sequences.Add(fresh[i]);
            }
            slots.Clear();
            slots.AddRange(sequences);
            var rebuilt = rows.Count == 0 ? null : KvCache.Compose(rows, model);
            if (rebuilt is not null) Statistics.Rebuilds++;
            cache?.Dispose();
            Statistics.RebuildTime += clock.Elapsed;
            return rebuilt;
        }
        finally
        {
            group?.Dispose();
        }
    }

    private (KvCache? Group, List<Sequence?> Sequences) Prefill(List<GenerationRequest> requests, List<GenerationResult> done, RunOptions runOptions, OrtIoBinding binding)
    {
        foreach (var request in requests.Where(r => r.PromptIds.Length == 0)) throw new InvalidInputError("A prompt has no tokens.");
        var rows = requests.Count;
        var width = requests.Max(r => r.PromptIds.Length);
        var ids = new long[rows * width];
        var mask = new long[rows * width];
        var positions = new long[rows * width];
        var starts = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            var prompt = requests[r].PromptIds;
            starts[r] = width - prompt.Length;
            prompt.CopyTo(ids, r * width + starts[r]);
            mask.AsSpan(r * width + starts[r], prompt.Length).Fill(1L);
            for (var p = 0; p < prompt.Length; p++) positions[r * width + starts[r] + p] = p;
        }
        float[]? embeds = null;
        if (!model.FeedsIds)
        {
            var features = EncodeImages(requests);
            embeds = model.Embed(ids, rows, width);
            for (var r = 0; r < rows; r++)
                model.ScatterImageFeatures(ids.AsSpan(r * width, width), embeds, r * width * model.Manifest.Hidden, features[r]);
        }
        var clock = Stopwatch.StartNew();
        var past = model.EmptyPast(rows);
        OrtValue logits;
        OrtValue[] present;
        try
        {
            (logits, present) = model.Step(model.TokensInput(ids, embeds, rows, width), mask, positions, past, runOptions, binding);
        }
        finally
        {
            OnnxGenerator.DisposeAll(past);
        }
        var group = KvCache.Adopt(present, starts, model);
        var sequences = new List<Sequence?>(rows);
        using (logits)
        {
            var vocab = model.Manifest.Vocab;
            var kept = (int)logits.GetTensorTypeAndShape().Shape[1];
            var all = logits.GetTensorMutableDataAsSpan<float>();
            for (var r = 0; r < rows; r++)
            {
                var sequence = new Sequence(requests[r], requests[r].PromptIds.Length);
                sequences.Add(Sample(sequence, all.Slice((r * kept + kept - 1) * vocab, vocab), done) ? null : sequence);
            }
        }
        Statistics.PrefillTokens += requests.Sum(r => r.PromptIds.Length);
        Statistics.Sequences += rows;
        Statistics.Prefill += clock.Elapsed;
        return (group, sequences);
    }

    // All images of the group in one vision run, then split back per prompt.
    private float[]?[] EncodeImages(List<GenerationRequest> requests)
    {
        var features = new float[]?[requests.Count];
        var withImages = Enumerable.Range(0, requests.Count).Where(i => requests[i].Pixels is not null && requests[i].Images > 0).ToList();
        if (withImages.Count == 0) return features;
        var clock = Stopwatch.StartNew();
        var pixels = new float[withImages.Sum(i => requests[i].Pixels!.Length)];
        var at = 0;
        foreach (var i in withImages)
        {
            requests[i].Pixels!.CopyTo(pixels, at);
            at += requests[i].Pixels!.Length;
        }
        var encoded = model.EncodeImages(pixels, withImages.Sum(i => requests[i].Images));
        var perImage = encoded.Length / withImages.Sum(i => requests[i].Images);
        var offset = 0;
        foreach (var i in withImages)
        {
            features[i] = encoded.AsSpan(offset, perImage * requests[i].Images).ToArray();
            offset += perImage * requests[i].Images;
        }
        Statistics.Vision += clock.Elapsed;
        return features;
    }

    private void DecodeStep(List<Sequence?> slots, KvCache cache, List<GenerationResult> done, RunOptions runOptions, OrtIoBinding binding)
    {
        var clock = Stopwatch.StartNew();
        var rows = slots.Count;
        var ids = slots.Select(s => (long)s!.Tokens[^1]).ToArray();
        var positions = slots.Select(s => (long)s!.Position).ToArray();
        var embeds = model.FeedsIds ? null : model.Embed(ids, rows, 1);
        var (logits, present) = model.Step(model.TokensInput(ids, embeds, rows, 1), cache.NextMask(), positions, cache.Values, runOptions, binding);
        cache.Advance(present);
        using (logits)
        {
            var vocab = model.Manifest.Vocab;
            var all = logits.GetTensorMutableDataAsSpan<float>();
            for (var r = 0; r < rows; r++)
            {
                slots[r]!.Position++;
                if (Sample(slots[r]!, all.Slice(r * vocab, vocab), done)) slots[r] = null;
            }
        }
        Statistics.Steps++;
        Statistics.DecodeTokens += rows;
        Statistics.Decode += clock.Elapsed;
    }

    /// <summary>Samples the sequence's next token; true when that ended it (the result is added to <paramref name="done"/>).</summary>
    private bool Sample(Sequence sequence, Span<float> logits, List<GenerationResult> done)
    {
        var settings = sequence.Request.Settings;
        StopReason? reason = null;
        if (sequence.Request.Cancel.IsCancellationRequested) reason = StopReason.Cancelled;
        else if (settings.MaxNewTokens <= 0) reason = StopReason.MaxTokens;
        else
        {
            var token = sequence.Sampler.Next(logits, sequence.Seen);
            sequence.Seen.Add(token);
            sequence.Tokens.Add(token);
            if (model.Manifest.EosTokenIds.Contains(token)) reason = StopReason.Eos;
            else if (sequence.Tokens.Count >= settings.MaxNewTokens) reason = StopReason.MaxTokens;
        }
        if (reason is not { } stop) return false;
        done.Add(new GenerationResult(sequence.Request, sequence.Tokens, stop));
        return true;
    }
}
