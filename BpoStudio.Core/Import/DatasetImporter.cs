using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Storage;
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
    public long Duplicates { get; set; }
    public long ImagesStored { get; set; }
    public long BytesRead { get; set; }
    public long FileBytes { get; set; }
    public List<RecordProblem> Rejected { get; } = [];
    public List<RecordProblem> FlaggedImages { get; } = [];

    /// <summary>Records not imported because they repeat an earlier record's image, prompt and answer under another id (counted in <see cref="Duplicates"/>).</summary>
    public List<RecordProblem> ContentDuplicates { get; } = [];
}

/// <summary>
/// Streams a source file into a dataset, a batch per transaction, so a cancelled or failed import leaves whole batches;
/// importing the same file again skips what is there (counted as duplicates), which is how an import resumes.
/// </summary>
public sealed class DatasetImporter(IDbContextFactory<BpoDbContext> dbFactory, ImageStore images, IPairRecheck recheck)
{
    public const int BatchSize = 500;

    public async Task<ImportSummary> ImportAsync(ImportRequest request, Func<ImportSummary, Task>? afterBatch = null, CancellationToken ct = default)
    {
        if (!File.Exists(request.FilePath)) throw new FileNotFoundException($"There is no file {request.FilePath}.");
        if (request.Format == ImportFormat.Generic && request.Mapping is null) throw new ArgumentException("The generic format needs a field mapping (at least the prompt field).");
        var (isArray, format) = await ImportReader.DetectAsync(request.FilePath, request.Format, ct);
        var sourceFile = Path.GetFileName(request.FilePath);
        var summary = new ImportSummary { File = sourceFile, Dataset = request.DatasetName, Format = format, FileBytes = new FileInfo(request.FilePath).Length };
        var datasetId = await EnsureDatasetAsync(request, ct);
        var seen = await ExistingKeysAsync(datasetId, sourceFile, ct);
        var repeats = new ContentDuplicates(datasetId);
        var imageCache = new Dictionary<string, (string? Hash, string? Problem)>();

        var batch = new List<(ImportedSample Sample, string Where)>(BatchSize);
        await foreach (var item in ImportReader.ReadAsync(request.FilePath, isArray, format, ct, request.Mapping))
        {
            summary.Records++;
            summary.BytesRead = item.BytesRead;
            if (item.Problem is not null) summary.Rejected.Add(item.Problem);
            foreach (var sample in item.Samples)
            {
                if (!seen.Add(Key(sample.RecordId, sample.Turn))) summary.Duplicates++;
                else batch.Add((sample, item.Problem?.Where ?? sample.RecordId));
            }
            if (batch.Count >= BatchSize)
            {
                await WriteBatchAsync(datasetId, sourceFile, request.ImageRoot, batch, imageCache, repeats, summary, ct);
                if (afterBatch is not null) await afterBatch(summary);
            }
        }
        await WriteBatchAsync(datasetId, sourceFile, request.ImageRoot, batch, imageCache, repeats, summary, ct);
        if (afterBatch is not null) await afterBatch(summary);
        return summary;
    }

    private async Task WriteBatchAsync(int datasetId, string sourceFile, string? imageRoot, List<(ImportedSample Sample, string Where)> batch,
        Dictionary<string, (string? Hash, string? Problem)> imageCache, ContentDuplicates repeats, ImportSummary summary, CancellationToken ct)
    {
        if (batch.Count == 0) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = DateTime.UtcNow;
        var samples = new List<Sample>(batch.Count);
        var ratings = new Dictionary<Response, IReadOnlyList<ImportedRating>>(ReferenceEqualityComparer.Instance);
        var images = new List<(string? Hash, string? Problem)>(batch.Count);
        var moreImages = new List<List<string>?>(batch.Count);
        foreach (var (imported, _) in batch)
        {
            images.Add(await StoreAsync(db, imported.ImagePath, imported.ImageBytes, imageRoot, imageCache, summary, ct));
            moreImages.Add(imported.MoreImages is { Count: > 0 } ? [] : null);
            for (var m = 0; m < (imported.MoreImages?.Count ?? 0); m++)
            {
                var (moreHash, moreProblem) = await StoreAsync(db, imported.MoreImages![m].Path, imported.MoreImages[m].Bytes, imageRoot, imageCache, summary, ct);
                // The first problem flags the sample, naming which image; a later image that could not be stored leaves the list short.
                if (moreProblem is not null && images[^1].Problem is null) images[^1] = (images[^1].Hash, $"image {m + 2} of {imported.MoreImages.Count + 1}: {moreProblem}");
                if (moreHash is not null) moreImages[^1]!.Add(moreHash);
            }
        }
        await repeats.LoadAsync(db, images.Select(i => i.Hash).OfType<string>(), ct);
        for (var i = 0; i < batch.Count; i++)
        {
            var imported = batch[i].Sample;
            var (hash, problem) = images[i];
            var key = ContentDuplicates.KeyOf(ContentDuplicates.ImagesKey(hash ?? imported.ImagePath, moreImages[i]), imported.Prompt, imported.Responses.Where(r => r.Kind.IsPositive()).Select(r => r.Text));
            if (repeats.Repeats(key, imported.RecordId) is { } first)
            {
                summary.Duplicates++;
                summary.ContentDuplicates.Add(new RecordProblem($"record {imported.RecordId}", $"repeats record {first}: the same image, prompt and answer under another id"));
                continue;
            }
            if (problem is not null)
            {
                summary.Flagged++;
                summary.FlaggedImages.Add(new RecordProblem($"record {imported.RecordId}", problem));
            }
            var sample = new Sample
            {
                DatasetId = datasetId,
                ImageHash = hash,
                MoreImageHashes = moreImages[i],
                ImageProblem = problem,
                Prompt = imported.Prompt,
                CreatedAt = now,
                Source = new SourceProvenance
                {
                    File = sourceFile, RecordId = imported.RecordId, Turn = imported.Turn, ImagePath = imported.ImagePath,
                    MoreImagePaths = imported.MoreImages?.Select((image, m) => image.Path ?? $"embedded image {m + 2}").ToList(),
                    OriginalPrompt = imported.OriginalPrompt, IdGenerated = imported.IdGenerated, ExtraJson = imported.ExtraJson,
                },
            };
            foreach (var r in imported.Responses)
            {
                var response = new Response
                {
                    Text = r.Text, Kind = r.Kind, Score = r.Score, CreatedAt = now,
                    Provenance = new GeneratorProvenance { Method = $"import:{summary.Format.ToString().ToLowerInvariant()}", Model = r.Model, ExtraJson = r.ExtraJson },
                };
                sample.Responses.Add(response);
                if (r.Ratings is { Count: > 0 } rated) ratings[response] = rated;
            }
            samples.Add(sample);
        }
        await AddAspectsAsync(db, datasetId, ratings.Values, now, ct);
        await db.SaveChangesAsync(ct); // the few new stored-image rows and rating aspects
        if (samples.Count == 0)
        {
            await tx.CommitAsync(ct);
            batch.Clear();
            return;
        }
        using (var insert = new BulkInserter(db.Database.GetDbConnection(), tx.GetDbTransaction()))
            foreach (var sample in samples)
            {
                sample.Id = await insert.InsertSampleAsync(sample, ct);
                foreach (var response in sample.Responses)
                {
                    response.SampleId = sample.Id;
                    response.Id = await insert.InsertResponseAsync(response, ct);
                    foreach (var rating in ratings.GetValueOrDefault(response) ?? [])
                        await insert.InsertRatingAsync(new Feedback.ResponseRating
                        {
                            DatasetId = datasetId, ResponseId = response.Id, Aspect = rating.Aspect, Value = rating.Value, Raw = rating.Raw, Rationale = rating.Rationale,
                            RatedBy = response.Provenance.Method, RatedAt = now,
                        }, ct);
                }
                foreach (var pair in PairBuilder.Build(datasetId, sample.Id, sample.Responses))
                    await insert.InsertPairAsync(pair, ct);
            }
        await recheck.RecheckSamplesAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), datasetId, samples[0].Id, samples[^1].Id, ct);
        await tx.CommitAsync(ct);
        summary.Imported += samples.Count;
        batch.Clear();
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
        if (root is null) result = (null, $"image '{imagePath}' not read: no image root was given");
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
            if (await db.AddIfMissingAsync(stored, ct)) summary.ImagesStored++;
            return (stored.Hash, null);
        }
        catch (InvalidDataException ex)
        {
            return (null, $"image '{imagePath}' was not stored: {ex.Message}");
        }
    }

    private async Task<int> EnsureDatasetAsync(ImportRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.DatasetName)) throw new ArgumentException("Give the dataset a name.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.Datasets.Where(d => d.Name == request.DatasetName).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct);
        if (existing is { } id) return id;
        var dataset = new Dataset { Name = request.DatasetName.Trim(), CreatedAt = DateTime.UtcNow, CreatedBy = request.Actor };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        return dataset.Id;
    }

    private async Task<HashSet<string>> ExistingKeysAsync(int datasetId, string sourceFile, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.Samples.Where(s => s.DatasetId == datasetId && s.Source.File == sourceFile)
            .Select(s => new { s.Source.RecordId, s.Source.Turn }).ToListAsync(ct);
        return keys.Select(k => Key(k.RecordId ?? "", k.Turn ?? 0)).ToHashSet();
    }

    private static string Key(string recordId, int turn) => $"{recordId}\u001f{turn}";
}
