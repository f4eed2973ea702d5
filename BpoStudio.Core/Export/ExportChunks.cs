using System.Threading.Channels;

namespace BpoStudio.Core.Export;

/// <summary>A part for one split, in the order its writer must append it.</summary>
internal readonly record struct ExportSegment(string Split, IExportPart Part);

/// <summary>What one chunk counted and left out; merged in chunk order, so the manifest does not depend on timing.</summary>
internal sealed record ChunkTally(ExportCounts Counts, List<SkippedRecord> Skipped);

/// <summary>A chunk in flight: its parts come through a small bounded channel, its tally when it is done.</summary>
internal sealed record ExportChunk(ChannelReader<ExportSegment> Segments, Task<ChunkTally> Tally);

/// <summary>
/// Exports one sample range on a worker: reads it, resolves its images, checks every pair against the target loader's
/// rules and formats the records into parts. Images are resolved in chunk order, one chunk at a time: a name is
/// claimed by the first sample that uses it, and that must not depend on which worker ran faster. A worker holds one
/// chunk's samples (about <see cref="ExportSource.PairsPerChunk"/> pairs) and at most a few parts waiting for the writer.
/// </summary>
internal sealed class ChunkExporter(ExportSource source, ExportImages images, ExportOptions options, int? versionId, int chunkCount)
{
    private const int SegmentsAhead = 4;
    private readonly bool _needBytes = !ExportRunner.ReferencesImageFiles(options.Format);
    private readonly IReadOnlySet<string>? _allowedTypes = options.Format == ExportFormat.OpenAi ? LoaderRules.OpenAiImageTypes : null;
    private readonly TaskCompletionSource[] _imagesDone = Enumerable.Range(0, chunkCount)
        .Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();

    public ExportChunk Start(int index, SampleRange range, CancellationToken ct)
    {
        var segments = Channel.CreateBounded<ExportSegment>(new BoundedChannelOptions(SegmentsAhead) { SingleReader = true, SingleWriter = true });
        return new ExportChunk(segments.Reader, Task.Run(() => RunAsync(index, range, segments.Writer, ct), ct));
    }

    private async Task<ChunkTally> RunAsync(int index, SampleRange range, ChannelWriter<ExportSegment> segments, CancellationToken ct)
    {
        var parts = new Dictionary<string, IExportPart>();
        try
        {
            var samples = new List<ExportSample>();
            await foreach (var sample in source.ReadAsync(options.DatasetId, versionId, options, range, ct)) samples.Add(sample);
            var resolved = await ResolveImagesInTurnAsync(index, samples, ct);
            var tally = new ChunkTally(new ExportCounts(), []);
            for (var i = 0; i < samples.Count; i++)
            {
                var sample = samples[i];
                var (image, sampleProblem) = resolved[i];
                tally.Counts.Samples++;
                var passed = new List<ExportPair>(sample.Pairs.Count);
                foreach (var pair in sample.Pairs)
                {
                    var reason = sampleProblem ?? LoaderRules.CheckPair(options.Format, sample, pair, image);
                    if (reason is null) passed.Add(pair);
                    else tally.Counts.Skip(tally.Skipped, new SkippedRecord(pair.PairId, sample.SampleId, reason));
                }
                if (passed.Count == 0) continue;
                var split = ExportRunner.SplitOf(sample.SampleId, options);
                if (!parts.TryGetValue(split, out var part)) parts[split] = part = ExportWriter.CreatePart(options.Format);
                part.Add(sample, passed, image);
                tally.Counts.Add(split, passed);
                if (!part.IsFull) continue;
                parts.Remove(split);
                await segments.WriteAsync(new ExportSegment(split, part), ct);
            }
            foreach (var (split, part) in parts) await segments.WriteAsync(new ExportSegment(split, part), ct);
            parts.Clear();
            segments.Complete();
            return tally;
        }
        catch (Exception ex)
        {
            foreach (var part in parts.Values) part.Dispose();
            segments.Complete(ex);
            throw;
        }
    }

    private async Task<(ExportedImage? Image, string? Problem)[]> ResolveImagesInTurnAsync(int index, List<ExportSample> samples, CancellationToken ct)
    {
        try
        {
            if (index > 0) await _imagesDone[index - 1].Task.WaitAsync(ct);
            var resolved = new (ExportedImage?, string?)[samples.Count];
            for (var i = 0; i < samples.Count; i++) resolved[i] = await ImageForAsync(samples[i], ct);
            return resolved;
        }
        finally
        {
            _imagesDone[index].TrySetResult(); // also on failure: the export fails through this chunk, not by later ones waiting
        }
    }

    private async ValueTask<(ExportedImage? Image, string? Problem)> ImageForAsync(ExportSample sample, CancellationToken ct)
    {
        if (LoaderRules.CheckSample(sample) is { } problem) return (null, problem);
        if (sample.ImageHash is null) return (null, null);
        try
        {
            return (await images.GetAsync(sample.ImageHash, sample.ImagePath, _needBytes, _allowedTypes, ct), null);
        }
        catch (ExportSkipException ex)
        {
            return (null, ex.Message);
        }
    }
}
