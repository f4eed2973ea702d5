using System.Data.Common;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Storage;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Core.Import;

public sealed record ImportRequest(string FilePath, string DatasetName, string? ImageRoot, ImportFormat? Format = null, string? Actor = null, FieldMapping? Mapping = null);

// Populate: the problem lists are get-only, and a summary read back from its JSON file must keep them.
[System.Text.Json.Serialization.JsonObjectCreationHandling(System.Text.Json.Serialization.JsonObjectCreationHandling.Populate)]
public sealed class ImportSummary
{
    public required string File { get; init; }
    public required string Dataset { get; init; }
    public ImportFormat Format { get; set; }
    public long Records { get; set; }
    public long Imported { get; set; }
    public long Flagged { get; set; }
    /// <summary>Records whose sample was already in the dataset (the same record, or the same image, prompt and answer): merged into it.</summary>
    public long SamplesPresent { get; set; }

    /// <summary>Responses those records added to their samples (negatives a sample lacked), with pairs and checks.</summary>
    public long NewResponses { get; set; }

    /// <summary>Responses of those records that their samples already had, after normalisation: skipped.</summary>
    public long RepeatedResponses { get; set; }

    // Summaries stored before merging called the present samples duplicates.
    [System.Text.Json.Serialization.JsonInclude, System.Text.Json.Serialization.JsonPropertyName("Duplicates")]
    private long LegacyDuplicates { get => 0; set => SamplesPresent += value; }
    public long ImagesStored { get; set; }
    public long BytesRead { get; set; }
    public long FileBytes { get; set; }
    public List<RecordProblem> Rejected { get; } = [];
    public List<RecordProblem> FlaggedImages { get; } = [];

    /// <summary>Records that repeat another record's image, prompt and answer under another id, merged into its sample (counted in <see cref="SamplesPresent"/>).</summary>
    public List<RecordProblem> ContentDuplicates { get; } = [];
}

/// <summary>
/// Streams a source file into a dataset, a batch per transaction, so a cancelled or failed import leaves whole batches.
/// A record whose sample is already there merges into it (<see cref="SampleMerger"/>): a second file of new negatives
/// for the same records adds them, and importing the same file again adds nothing, which is how an import resumes.
/// </summary>
public sealed class DatasetImporter(IDbContextFactory<BpoDbContext> dbFactory, ImageStore images, IPairRecheck recheck, SearchIndexer searchIndexer, TimeProvider clock)
{
    public const int BatchSize = 500;

    /// <summary>
    /// Samples an import writes with the full-text index kept row by row; past this many it holds the index back and
    /// it catches up after the import (<see cref="SearchIndex"/>), so a small import is searchable word for word at once.
    /// </summary>
    internal int HoldSearchFrom { get; set; } = SearchIndex.CatchUpChunk;

    public async Task<ImportSummary> ImportAsync(ImportRequest request, Func<ImportSummary, Task>? afterBatch = null, CancellationToken ct = default)
    {
        if (!File.Exists(request.FilePath)) throw new FileNotFoundException($"There is no file {request.FilePath}.");
        if (request.Format == ImportFormat.Generic && request.Mapping is null) throw new InvalidInputError("The generic format needs a field mapping (at least the prompt field).");
        var (isArray, format) = await ImportReader.DetectAsync(request.FilePath, request.Format, ct);
        var sourceFile = Path.GetFileName(request.FilePath);
        var summary = new ImportSummary { File = sourceFile, Dataset = request.DatasetName, Format = format, FileBytes = new FileInfo(request.FilePath).Length };
        var datasetId = await EnsureDatasetAsync(request, ct);
        long lastPairBefore;
        bool fileSeen;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            lastPairBefore = await Judging.DataScores.LastPairIdAsync(db, ct);
            // A file new to the dataset can only repeat its own records, which this import tracks itself: no look-ups.
            fileSeen = await db.Samples.AnyAsync(s => s.Source.File == sourceFile && s.DatasetId == datasetId, ct);
        }
        // The samples this file's records already made (an earlier import or push of the same source, an interrupted
        // run), looked up a batch at a time by record id: loading them all per import cost a pipeline pushing into a
        // large dataset the whole dataset on every call.
        var present = new Dictionary<(string RecordId, int Turn), SampleRef>();
        await using var write = new BatchWriter(datasetId, sourceFile, request.ImageRoot, new ContentDuplicates(datasetId),
            new SampleMerger(datasetId, sourceFile, ImportMethod(format)), await dbFactory.CreateDbContextAsync(ct));

        // Parsing runs a batch or two ahead on another core while the database writes: one is as fast as the other here.
        var chunks = Channel.CreateBounded<ReadChunk>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reading = Task.Run(() => ReadChunksAsync(request, isArray, format, chunks.Writer, stopReading.Token), CancellationToken.None);
        try
        {
            var batch = new List<BatchEntry>(BatchSize);
            await foreach (var chunk in chunks.Reader.ReadAllAsync(ct))
            {
                summary.Records += chunk.Records;
                summary.BytesRead = chunk.BytesRead;
                summary.Rejected.AddRange(chunk.Rejected);
                await ClassifyAsync(datasetId, fileSeen ? sourceFile : null, chunk.Samples, present, batch, ct);
                await WriteBatchAsync(write, batch, summary, ct);
                if (afterBatch is not null && !chunk.Last) await afterBatch(summary);
            }
        }
        finally
        {
            if (write.HoldsSearch) await ReleaseSearchAsync();
            await stopReading.CancelAsync();
            // The reader's own failure (an unreadable file) is the one to report, not the channel closing after it.
            try { await reading; } catch (OperationCanceledException) when (stopReading.IsCancellationRequested && !ct.IsCancellationRequested) { }
        }
        // The scores and ratings the records carried, as scorers of the pairs they made (after the batches: set-based).
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            await Judging.DataScores.DeriveAsync(db, datasetId, lastPairBefore, clock.GetUtcNow().UtcDateTime, ct);
        if (afterBatch is not null) await afterBatch(summary);
        return summary;
    }

    private async Task ReleaseSearchAsync()
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await SearchIndex.ReleaseAsync(db, CancellationToken.None);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            // The import's own failure is the one to report; an unreleased hold lapses by itself (SearchIndex.HoldFor).
        }
        searchIndexer.Wake();
    }

    /// <summary>Records read and parsed, a batch's worth of samples at a time, with what the summary counts of them.</summary>
    private sealed record ReadChunk(List<ImportedSample> Samples, long Records, long BytesRead, List<RecordProblem> Rejected, bool Last);

    private static async Task ReadChunksAsync(ImportRequest request, bool isArray, ImportFormat format, ChannelWriter<ReadChunk> chunks, CancellationToken ct)
    {
        try
        {
            List<ImportedSample> samples = new(BatchSize);
            List<RecordProblem> rejected = [];
            long records = 0, bytesRead = 0;
            await foreach (var item in ImportReader.ReadAsync(request.FilePath, isArray, format, ct, request.Mapping))
            {
                records++;
                bytesRead = item.BytesRead;
                if (item.Problem is not null) rejected.Add(item.Problem);
                foreach (var sample in item.Samples) _ = sample.TextKey; // hashed here, beside the parser, not on the writer's core
                samples.AddRange(item.Samples);
                if (samples.Count < BatchSize) continue;
                await chunks.WriteAsync(new ReadChunk(samples, records, bytesRead, rejected, Last: false), ct);
                (samples, rejected, records) = (new(BatchSize), [], 0);
            }
            await chunks.WriteAsync(new ReadChunk(samples, records, bytesRead, rejected, Last: true), ct);
            chunks.Complete();
        }
        catch (Exception ex)
        {
            chunks.Complete(ex);
            throw;
        }
    }

    private static string ImportMethod(ImportFormat format) => $"import:{format.ToString().ToLowerInvariant()}";

    /// <summary>A record read: a new sample to write, or one present already (<paramref name="Present"/>) to merge into <paramref name="Target"/>.</summary>
    private sealed record BatchEntry(ImportedSample Sample, SampleRef Target, bool Present);

    /// <summary>
    /// What the batches of one import share, its context and connection among them: one inserter serves every batch,
    /// so its statements of thousands of values are prepared once, not per batch (a tenth of a million-record import).
    /// </summary>
    private sealed record BatchWriter(int DatasetId, string SourceFile, string? ImageRoot, ContentDuplicates Repeats, SampleMerger Merger, BpoDbContext Db) : IAsyncDisposable
    {
        private BulkInserter? _insert;

        public Dictionary<string, (string? Hash, string? Problem)> ImageCache { get; } = [];

        public async Task<BulkInserter> InserterAsync(CancellationToken ct)
        {
            if (_insert is not null) return _insert;
            await Db.Database.OpenConnectionAsync(ct);
            return _insert = new BulkInserter(Db.Database.GetDbConnection());
        }

        public async ValueTask DisposeAsync()
        {
            _insert?.Dispose(); // its statements go before the connection closes
            if (_insert is not null) await Db.Database.CloseConnectionAsync();
            await Db.DisposeAsync();
        }

        /// <summary>Whether this import holds the search index back (renewed with each batch it writes).</summary>
        public bool HoldsSearch { get; set; }
    }

    private async Task WriteBatchAsync(BatchWriter write, List<BatchEntry> batch, ImportSummary summary, CancellationToken ct)
    {
        if (batch.Count == 0) return;
        var db = write.Db;
        var insert = await write.InserterAsync(ct);
        db.ChangeTracker.Clear(); // the last batch's few tracked rows (stored images, aspects)
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var fresh = batch.Where(e => !e.Present).ToList();
        var merges = batch.Where(e => e.Present).Select(e => (e.Sample, e.Target)).ToList();
        var images = await StoreImagesAsync(db, write, fresh, summary, ct);
        await write.Repeats.LoadAsync(db, fresh.Select((entry, i) => (Hash: images[i].Hash!, entry.Sample.Prompt)).Where(x => x.Hash is not null), ct);
        var samples = new List<(Sample Sample, SampleRef Target)>(fresh.Count);
        var ratings = new Dictionary<Response, IReadOnlyList<ImportedRating>>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < fresh.Count; i++)
        {
            var (imported, target, _) = fresh[i];
            var (hash, problem, more) = images[i];
            var key = ContentDuplicates.KeyOf(ContentDuplicates.ImagesKey(hash ?? imported.ImagePath, more), imported.TextKey);
            if (write.Repeats.Repeats(key, target) is { } first)
            {
                // The same image, prompt and answer as a sample already there (or earlier in this file): its negatives join that sample.
                target.Becomes(first);
                merges.Add((imported, first));
                if (first.RecordId != imported.RecordId)
                    summary.ContentDuplicates.Add(new RecordProblem($"record {imported.RecordId}", $"repeats record {first.RecordId} (the same image, prompt and answer under another id): merged into it"));
                continue;
            }
            if (problem is not null)
            {
                summary.Flagged++;
                summary.FlaggedImages.Add(new RecordProblem($"record {imported.RecordId}", problem));
            }
            samples.Add((NewSample(write, imported, hash, problem, more, now, summary.Format, ratings), target));
        }
        await AddAspectsAsync(db, write.DatasetId, ratings.Values, now, ct);
        await db.SaveChangesAsync(ct); // the few new stored-image rows and rating aspects
        var connection = db.Database.GetDbConnection();
        var transaction = tx.GetDbTransaction();
        if (write.HoldsSearch || summary.Imported >= HoldSearchFrom)
        {
            await SearchIndex.HoldAsync(connection, transaction, now, ct);
            write.HoldsSearch = true;
        }
        insert.Enlist(transaction);
        var written = samples.Select(s => s.Sample).ToList();
        await insert.InsertSamplesAsync(written, ct);
        foreach (var (sample, target) in samples) target.Id = sample.Id;
        var responses = written.SelectMany(sample => sample.Responses.Select(response => { response.SampleId = sample.Id; return response; })).ToList();
        await insert.InsertResponsesAsync(responses, ct);
        await insert.Ratings.AddAsync(RatingRows(write.DatasetId, ratings.Select(r => (r.Key, (IReadOnlyList<ImportedRating>?)r.Value)), now), ct);
        var pairs = await insert.InsertPairsAsync(written.SelectMany(sample => PairBuilder.Build(write.DatasetId, sample.Id, sample.Responses)), ct);
        // New samples have findings only through their pairs: a batch that made none has nothing to check.
        if (pairs > 0) await recheck.RecheckSamplesAsync(connection, transaction, write.DatasetId, written[0].Id, written[^1].Id, ct);
        await write.Merger.MergeAsync(db, insert, merges, summary, now,
            rated => insert.Ratings.AddAsync(RatingRows(write.DatasetId, rated, now), ct),
            (from, to) => recheck.RecheckSamplesAsync(connection, transaction, write.DatasetId, from, to, ct), ct);
        await tx.CommitAsync(ct);
        summary.Imported += samples.Count;
        batch.Clear();
    }

    private static IEnumerable<Feedback.ResponseRating> RatingRows(int datasetId, IEnumerable<(Response Response, IReadOnlyList<ImportedRating>? Rated)> rated, DateTime now) =>
        from r in rated
        from rating in r.Rated ?? []
        select new Feedback.ResponseRating
        {
            DatasetId = datasetId, ResponseId = r.Response.Id, Aspect = rating.Aspect, Value = rating.Value, Raw = rating.Raw, Rationale = rating.Rationale,
            RatedBy = r.Response.Provenance.Method, RatedAt = now,
        };

    private static Sample NewSample(BatchWriter write, ImportedSample imported, string? hash, string? problem, List<string>? more, DateTime now, ImportFormat format,
        Dictionary<Response, IReadOnlyList<ImportedRating>> ratings)
    {
        var sample = new Sample
        {
            DatasetId = write.DatasetId,
            ImageHash = hash,
            MoreImageHashes = more,
            ImageProblem = problem,
            Prompt = imported.Prompt,
            CreatedAt = now,
            Source = new SourceProvenance
            {
                File = write.SourceFile, RecordId = imported.RecordId, Turn = imported.Turn, ImagePath = imported.ImagePath,
                MoreImagePaths = imported.MoreImages?.Select((image, m) => image.Path ?? $"embedded image {m + 2}").ToList(),
                OriginalPrompt = imported.OriginalPrompt, IdGenerated = imported.IdGenerated, ExtraJson = imported.ExtraJson,
            },
        };
        foreach (var r in imported.Responses)
        {
            var response = new Response
            {
                Text = r.Text, Kind = r.Kind, Score = r.Score, CreatedAt = now,
                Provenance = new GeneratorProvenance { Method = ImportMethod(format), Model = r.Model, ExtraJson = r.ExtraJson },
            };
            sample.Responses.Add(response);
            if (r.Ratings is { Count: > 0 } rated) ratings[response] = rated;
        }
        return sample;
    }

    /// <summary>Each new record's images stored (or the problem that flags it), in batch order.</summary>
    private async Task<List<(string? Hash, string? Problem, List<string>? More)>> StoreImagesAsync(BpoDbContext db, BatchWriter write, List<BatchEntry> fresh, ImportSummary summary, CancellationToken ct)
    {
        var images = new List<(string? Hash, string? Problem, List<string>? More)>(fresh.Count);
        foreach (var (imported, _, _) in fresh)
        {
            var (hash, problem) = await StoreAsync(db, imported.ImagePath, imported.ImageBytes, write.ImageRoot, write.ImageCache, summary, ct);
            List<string>? more = imported.MoreImages is { Count: > 0 } ? [] : null;
            for (var m = 0; m < (imported.MoreImages?.Count ?? 0); m++)
            {
                var (moreHash, moreProblem) = await StoreAsync(db, imported.MoreImages![m].Path, imported.MoreImages[m].Bytes, write.ImageRoot, write.ImageCache, summary, ct);
                // The first problem flags the sample, naming which image; a later image that could not be stored leaves the list short.
                if (moreProblem is not null && problem is null) problem = $"image {m + 2} of {imported.MoreImages.Count + 1}: {moreProblem}";
                if (moreHash is not null) more!.Add(moreHash);
            }
            images.Add((hash, problem, more));
        }
        return images;
    }

    /// <summary>The aspects the batch's ratings use that the dataset does not have yet, on a 1-5 scale widened to the values seen.</summary>
    private static async Task AddAspectsAsync(BpoDbContext db, int datasetId, IEnumerable<IReadOnlyList<ImportedRating>> ratings, DateTime now, CancellationToken ct)
    {
        var seen = ratings.SelectMany(r => r).GroupBy(r => r.Aspect).ToList();
        if (seen.Count == 0) return;
        var known = await db.RatingAspects.Where(a => a.DatasetId == datasetId).ToDictionaryAsync(a => a.Name, ct);
        foreach (var aspect in seen)
        {
            var values = aspect.Select(r => r.Value).OfType<double>().ToList();
            if (!known.TryGetValue(aspect.Key, out var scale))
                db.RatingAspects.Add(scale = known[aspect.Key] = new Feedback.RatingAspect { DatasetId = datasetId, Name = aspect.Key, CreatedAt = now, CreatedBy = "import" });
            if (values.Count == 0) continue;
            scale.Min = Math.Min(scale.Min, values.Min());
            scale.Max = Math.Max(scale.Max, values.Max());
        }
    }

    private Task<(string? Hash, string? Problem)> StoreAsync(BpoDbContext db, string? path, byte[]? bytes, string? root,
        Dictionary<string, (string? Hash, string? Problem)> cache, ImportSummary summary, CancellationToken ct) =>
        bytes is not null ? StoreBytesAsync(db, bytes, path ?? "embedded image", summary, ct)
        : path is null ? Task.FromResult<(string?, string?)>((null, null))
        : StoreImageAsync(db, path, root, cache, summary, ct);

    // Missing, unreadable or outside-the-root images flag the record; the record itself is kept.
    private async Task<(string? Hash, string? Problem)> StoreImageAsync(BpoDbContext db, string imagePath, string? root,
        Dictionary<string, (string? Hash, string? Problem)> cache, ImportSummary summary, CancellationToken ct)
    {
        if (cache.TryGetValue(imagePath, out var known)) return known;
        (string? Hash, string? Problem) result;
        if (StoredImageReference.TryParse(imagePath, out var pushed))
            result = await db.StoredImages.AnyAsync(i => i.Hash == pushed, ct) ? (pushed, null) : (null, $"image '{imagePath}' was never stored: push its bytes first (PUT /api/v1/images/{pushed})");
        else if (root is null) result = (null, $"image '{imagePath}' not read: no image root was given");
        else if (!SafePath.TryResolve(root, imagePath, out var full, out var problem)) result = (null, problem);
        else if (!File.Exists(full)) result = (null, $"image '{imagePath}' does not exist under the image root");
        else result = await StoreBytesAsync(db, await File.ReadAllBytesAsync(full, ct), imagePath, summary, ct);
        cache[imagePath] = result;
        return result;
    }

    private async Task<(string? Hash, string? Problem)> StoreBytesAsync(BpoDbContext db, byte[] bytes, string imagePath, ImportSummary summary, CancellationToken ct)
    {
        try
        {
            var stored = await images.PutAsync(bytes, ct);
            // Two paths may hold the same bytes: the store keeps one copy and one catalogue row.
            if (await db.AddIfMissingAsync(stored, clock.GetUtcNow().UtcDateTime, ct)) summary.ImagesStored++;
            return (stored.Hash, null);
        }
        catch (InvalidDataException ex)
        {
            return (null, $"image '{imagePath}' was not stored: {ex.Message}");
        }
    }

    private Task<int> EnsureDatasetAsync(ImportRequest request, CancellationToken ct) => EnsureDatasetAsync(dbFactory, request.DatasetName, request.Actor, clock.GetUtcNow().UtcDateTime, ct);

    /// <summary>The dataset an import writes into, made when it is new; an import job names it from the start.</summary>
    internal static async Task<int> EnsureDatasetAsync(IDbContextFactory<BpoDbContext> dbFactory, string name, string? actor, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new InvalidInputError("Give the dataset a name.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.Datasets.Where(d => d.Name == name).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct);
        if (existing is { } id) return id;
        var dataset = new Dataset { Name = name.Trim(), CreatedAt = now, CreatedBy = actor };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        return dataset.Id;
    }

    /// <summary>
    /// Sorts the samples read into new ones and ones present already (in the dataset from this source, or earlier in this
    /// import), asking the database only for record ids not seen yet in this import: one indexed look-up per batch.
    /// </summary>
    private async Task ClassifyAsync(int datasetId, string? seenFile, List<ImportedSample> read, Dictionary<(string RecordId, int Turn), SampleRef> present, List<BatchEntry> batch, CancellationToken ct)
    {
        var unseen = seenFile is null ? [] : read.Where(s => !present.ContainsKey(Key(s.RecordId, s.Turn))).Select(s => s.RecordId).Distinct().ToList();
        if (unseen.Count > 0)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // Driven by the (file, record id, turn) index; the dataset is checked on the few rows found.
            var stored = await db.Samples.Where(s => s.Source.File == seenFile && unseen.Contains(s.Source.RecordId!))
                .Select(s => new { s.Id, s.DatasetId, s.Source.RecordId, s.Source.Turn }).ToListAsync(ct);
            foreach (var k in stored.Where(k => k.DatasetId == datasetId).OrderBy(k => k.Id))
                present.TryAdd(Key(k.RecordId ?? "", k.Turn ?? 0), new SampleRef(k.Id, k.RecordId));
        }
        foreach (var sample in read)
        {
            var key = Key(sample.RecordId, sample.Turn);
            if (present.TryGetValue(key, out var target)) batch.Add(new BatchEntry(sample, target, Present: true));
            else batch.Add(new BatchEntry(sample, present[key] = new SampleRef(recordId: sample.RecordId), Present: false));
        }
        read.Clear();
    }

    // The record id string is the one its sample keeps anyway: a million-record import holds no second copy.
    private static (string, int) Key(string recordId, int turn) => (recordId, turn);
}
