using BpoStudio.Core.Datasets;
using System.Threading.Channels;

namespace BpoStudio.Core.Export;

/// <summary>
/// What a worker hands the committer, in chunk order: parts for a split, then, with <see cref="Done"/>, the end of the
/// chunk and what it counted.
/// </summary>
internal readonly record struct ChunkOutput(string Split, IExportPart? Part, ChunkTally? Done);

/// <summary>What one chunk counted and left out; merged in chunk order, so the manifest does not depend on timing.</summary>
internal sealed record ChunkTally(ExportCounts Counts, List<SkippedRecord> Skipped);

/// <summary>
/// Exports sample ranges on workers, each with its own reading session: worker <i>w</i> of <i>n</i> takes chunks
/// <i>w</i>, <i>w</i>+<i>n</i>, ... and for each reads it, resolves its images, checks every pair against the target
/// loader's rules and formats the records into parts. Images are resolved in chunk order, one chunk at a time: a name is
/// claimed by the first sample that uses it, and that must not depend on which worker ran faster. A worker holds one
/// chunk's samples (about <see cref="ExportSource.PairsPerChunk"/> pairs) and at most a few parts waiting for the committer.
/// </summary>
internal sealed class ChunkExporter(ExportSource source, ExportImages images, ExportOptions options, int? versionId, int chunkCount, RatingScheme ratings)
{
    private const int PartsAhead = 4;
    private readonly bool _needBytes = !ExportRunner.ReferencesImageFiles(options.Format);
    private readonly Formats.IExportFormat _format = options.Format.Describe();
    private readonly TaskCompletionSource[] _imagesDone = Enumerable.Range(0, chunkCount)
        .Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();

    /// <summary>Starts <paramref name="workers"/> workers; read each one's output for its chunks, in turn.</summary>
    public (ChannelReader<ChunkOutput>[] Outputs, Task[] Workers) Start(IReadOnlyList<SampleRange> chunks, int workers, CancellationToken ct)
    {
        var outputs = new ChannelReader<ChunkOutput>[workers];
        var running = new Task[workers];
        for (var worker = 0; worker < workers; worker++)
        {
            var output = Channel.CreateBounded<ChunkOutput>(new BoundedChannelOptions(PartsAhead) { SingleReader = true, SingleWriter = true });
            outputs[worker] = output.Reader;
            var first = worker;
            // No token for Task.Run itself: a worker cancelled before it started would be a cancelled task, not a completed
            // output, and the runner's wait for its workers would then report that cancellation instead of the error that stopped them.
            running[worker] = Task.Run(() => RunWorkerAsync(chunks, first, workers, output.Writer, ct));
        }
        return (outputs, running);
    }

    private async Task RunWorkerAsync(IReadOnlyList<SampleRange> chunks, int first, int step, ChannelWriter<ChunkOutput> output, CancellationToken ct)
    {
        try
        {
            await using var reader = await source.OpenReaderAsync(options.DatasetId, versionId, options, ct);
            for (var index = first; index < chunks.Count; index += step)
                await output.WriteAsync(new ChunkOutput("", null, await ExportChunkAsync(reader, index, chunks[index], output, ct)), ct);
            output.Complete();
        }
        catch (Exception ex)
        {
            output.Complete(ex);
        }
    }

    private async Task<ChunkTally> ExportChunkAsync(ExportSource.Reader reader, int index, SampleRange range, ChannelWriter<ChunkOutput> output, CancellationToken ct)
    {
        var parts = new Dictionary<string, IExportPart>();
        try
        {
            var samples = new List<ExportSample>();
            await foreach (var sample in reader.ReadAsync(range, ct)) samples.Add(sample);
            var resolved = await ResolveImagesInTurnAsync(index, samples, ct);
            var tally = new ChunkTally(new ExportCounts(), []);
            for (var i = 0; i < samples.Count; i++)
            {
                var sample = samples[i];
                var (image, sampleProblem) = resolved[i];
                var passed = Check(sample, image, sampleProblem, tally);
                if (passed.Count == 0) continue;
                tally.Counts.Samples++; // samples written: the README's "N pairs from M samples"
                var split = ExportRunner.SplitOf(sample.SampleId, options);
                if (!parts.TryGetValue(split, out var part)) parts[split] = part = ExportWriter.CreatePart(options, ratings);
                part.Add(sample, passed, image);
                tally.Counts.Add(split, passed);
                tally.Counts.AddTurns(sample, passed.Count, _format.HoldsHistory);
                if (!_format.KeepsTextsAsTheyAre && sample.ImageCount > 0 && ImagePlacement.Plan(sample, sample.ImageCount).MovedIn(_format.KeepsImagePlaces))
                    tally.Counts.AddImagesMoved(sample);
                _format.Count(tally.Counts, passed);
                if (part.IsFull) await HandOverAsync(split);
            }
            foreach (var split in parts.Keys.ToList()) await HandOverAsync(split);
            return tally;
        }
        finally
        {
            foreach (var part in parts.Values) part.Dispose(); // only those never handed over: the committer disposes the rest
        }

        // Out of the dictionary first: a part handed over belongs to the committer, even if a later hand-over fails.
        ValueTask HandOverAsync(string split)
        {
            parts.Remove(split, out var part);
            return output.WriteAsync(new ChunkOutput(split, part, null), ct);
        }
    }

    /// <summary>The sample's pairs that pass the loader rules (the same list when all do); the others are counted and listed.</summary>
    private IReadOnlyList<ExportPair> Check(ExportSample sample, ExportedImage? image, string? sampleProblem, ChunkTally tally)
    {
        List<ExportPair>? passed = null;
        for (var i = 0; i < sample.Pairs.Count; i++)
        {
            var pair = sample.Pairs[i];
            var reason = sampleProblem ?? LoaderRules.CheckPair(options.Format, sample, pair, image) ?? CheckLength(sample, pair, tally.Counts) ?? CheckScore(pair);
            if (reason is null)
            {
                passed?.Add(pair);
                continue;
            }
            passed ??= [.. sample.Pairs.Take(i)];
            tally.Counts.Skip(tally.Skipped, new SkippedRecord(pair.PairId, sample.SampleId, reason));
        }
        return passed ?? sample.Pairs;
    }

    private string? CheckScore(ExportPair pair) => options.Scorer is { } scorer && pair.Score is null && !_format.TypedColumns
        ? $"{scorer} gave no score for this pair: a {_format.WireName} line's score must be a number (its loader types the column from the first lines; parquet carries unscored pairs)"
        : null;

    // A pair the trainer would cut to the same tokens on both sides is left out; one it may cut so is counted.
    private string? CheckLength(ExportSample sample, ExportPair pair, ExportCounts counts)
    {
        if (_format.DefaultMaxLength is not { } byDefault) return null;
        var maxLength = options.MaxLength ?? byDefault;
        counts.MaxLength = maxLength;
        switch (_format.CutAlike(sample, pair, maxLength))
        {
            case Formats.CutAlike.Certainly:
                return $"{_format.WireName}'s trainer cuts at {maxLength} tokens and these answers first differ past that: both sides would train as the same tokens (--max-length sets the trainer's model_max_length)";
            case Formats.CutAlike.Possibly:
                counts.PairsPossiblyCutAlike++;
                return null;
            default:
                return null;
        }
    }

    private async Task<(ExportedImage? Image, string? Problem)[]> ResolveImagesInTurnAsync(int index, List<ExportSample> samples, CancellationToken ct)
    {
        try
        {
            if (index > 0) await _imagesDone[index - 1].Task.WaitAsync(ct);
            var resolved = new (ExportedImage? Image, string? Problem)[samples.Count];
            for (var i = 0; i < samples.Count; i++)
            {
                resolved[i] = await ImageForAsync(samples[i], ct);
                if (resolved[i].Image is null) continue;
                if (samples[i].MoreImageHashes is { Count: > 0 })
                {
                    try
                    {
                        samples[i] = samples[i] with { MoreImages = await ExportAllAsync(samples[i].MoreImageHashes!, samples[i].MoreImagePaths, ct) };
                    }
                    catch (ExportSkipException ex)
                    {
                        resolved[i] = (null, ex.Message);
                        continue;
                    }
                }
                if (_format.CarriesImagePairs) samples[i] = await WithRejectedImagesAsync(samples[i], ct);
            }
            return resolved;
        }
        finally
        {
            _imagesDone[index].TrySetResult(); // also on failure: the export fails through this chunk, not by later ones waiting
        }
    }

    /// <summary>
    /// Each image pair with its weakened image exported beside the original. One that cannot be read is left without:
    /// the loader rules then leave that pair out, naming the image.
    /// </summary>
    private async ValueTask<ExportSample> WithRejectedImagesAsync(ExportSample sample, CancellationToken ct)
    {
        if (!sample.Pairs.Any(p => p.RejectedImageHashes is not null)) return sample;
        // The images a pair shares with the chosen side keep their source names; the weakened ones are named by hash.
        var paths = ImageList.All(sample.ImagePath, sample.MoreImagePaths);
        var sampleHashes = ImageList.All(sample.ImageHash, sample.MoreImageHashes);
        var pairs = new ExportPair[sample.Pairs.Count];
        for (var i = 0; i < pairs.Length; i++)
        {
            var pair = sample.Pairs[i];
            if (pair.RejectedImageHashes is { } hashes)
            {
                try
                {
                    pair = pair with { RejectedImages = await ExportAllAsync(hashes, [.. hashes.Select((h, n) => n < sampleHashes.Count && sampleHashes[n] == h && n < paths.Count ? paths[n] : null)], ct) };
                }
                catch (ExportSkipException)
                {
                }
            }
            pairs[i] = pair;
        }
        return sample with { Pairs = pairs };
    }

    private async Task<IReadOnlyList<ExportedImage>> ExportAllAsync(IReadOnlyList<string> hashes, IReadOnlyList<string?>? paths, CancellationToken ct)
    {
        var exported = new ExportedImage[hashes.Count];
        for (var n = 0; n < exported.Length; n++)
            exported[n] = await images.GetAsync(hashes[n], paths is not null && n < paths.Count ? paths[n] : null, _needBytes, _format.AcceptedImageTypes, ct);
        return exported;
    }

    private async ValueTask<(ExportedImage? Image, string? Problem)> ImageForAsync(ExportSample sample, CancellationToken ct)
    {
        if (LoaderRules.CheckSample(sample) is { } problem) return (null, problem);
        if (sample.ImageHash is null) return (null, null);
        // An image no written record references is not shipped: when the rules that do not look at the image already
        // leave every pair out, it is not copied (the pairs are then listed with those reasons).
        if (!sample.Pairs.Any(pair => LoaderRules.CheckPair(options.Format, sample, pair, image: null) is null)) return (null, null);
        try
        {
            return (await images.GetAsync(sample.ImageHash, sample.ImagePath, _needBytes, _format.AcceptedImageTypes, ct), null);
        }
        catch (ExportSkipException ex)
        {
            return (null, ex.Message);
        }
    }
}
