using System.Runtime.CompilerServices;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

public sealed record ExportText(long ResponseId, Utf8Text Text, ResponseKind Kind, double? Score, string? Method, bool Edited);

/// <param name="Source">Who decided the pair: a person, a bulk action, or a bulk accept on a spot check's evidence.</param>
/// <param name="RejectedImageHashes">An image pair's images for the rejected side: the sample's, with the weakened one(s)
/// in place. Null for a text pair, whose sides share the sample's images.</param>
/// <param name="RejectedImages">Those images as exported, once resolved for a format that carries image pairs.</param>
/// <param name="Weight">The pair's weight (<see cref="ExportWeights"/>); read only when the export asks for weights.</param>
/// <param name="Score">The chosen scorer's newest score of the pair, when the export asks for one and the scorer gave it.</param>
public sealed record ExportPair(long PairId, ExportText Chosen, ExportText Rejected, DecisionSource Source = DecisionSource.Person,
    IReadOnlyList<string>? RejectedImageHashes = null, IReadOnlyList<ExportedImage>? RejectedImages = null, double? Weight = null, ExportScore? Score = null);

/// <summary>A scorer's preference for the chosen answer (0 to 1) and its confidence (<see cref="Judging.PairScore"/>).</summary>
public sealed record ExportScore(double PreferChosen, double Confidence);

/// <summary>An earlier turn of the conversation: the question (and as written, with its placeholder) and its ground-truth answer.</summary>
public sealed record ExportTurn(Utf8Text User, Utf8Text Assistant, Utf8Text? UserAsWritten = null);

/// <summary>One sample with the pairs that survive the negative selection, in pair order.</summary>
/// <param name="History">The conversation before this turn, oldest first; empty for a first turn or without context.</param>
/// <param name="MoreImageHashes">The sample's images after the first, in order; <see cref="MoreImages"/> once exported.</param>
public sealed record ExportSample(long SampleId, string? RecordId, bool IdGenerated, int? Turn, Utf8Text Prompt, Utf8Text? OriginalPrompt,
    string? ImageHash, string? ImageProblem, string? ImagePath, IReadOnlyList<ExportPair> Pairs, IReadOnlyList<ExportTurn>? History = null,
    IReadOnlyList<string>? MoreImageHashes = null, IReadOnlyList<string>? MoreImagePaths = null, IReadOnlyList<ExportedImage>? MoreImages = null,
    SampleFeedback? Feedback = null, IReadOnlyList<ExportText>? Ranked = null)
{
    public IReadOnlyList<ExportTurn> Earlier => History ?? [];

    public int ImageCount => ImageHash is null ? 0 : 1 + (MoreImageHashes?.Count ?? 0);

    /// <summary>Every exported image in order, given the first: what a record lists and the placeholders it counts.</summary>
    public IReadOnlyList<ExportedImage> ImagesFrom(ExportedImage? first) => first is null ? [] : MoreImages is { Count: > 0 } more ? [first, .. more] : [first];
}

/// <summary>Sample ids from <see cref="From"/> up to but not including <see cref="To"/>: the slice one worker exports.</summary>
public readonly record struct SampleRange(long From, long To)
{
    public static readonly SampleRange All = new(long.MinValue, long.MaxValue);
}

/// <summary>
/// Streams the pairs of an approved version (its frozen texts) or, for a draft, the currently accepted pairs, grouped
/// by sample, one range of sample ids at a time. A reader holds no more than one sample's pairs.
/// </summary>
public sealed class ExportSource(IDbContextFactory<BpoDbContext> dbFactory)
{
    /// <summary>About this many pairs per chunk: few enough that a chunk's samples stay in the processor's cache while they
    /// are checked and formatted, many enough to amortise re-running the query.</summary>
    public int PairsPerChunk { get; init; } = 2048;

    /// <summary>
    /// Contiguous sample-id ranges covering the dataset, sized for <see cref="PairsPerChunk"/> pairs each (sample ids of
    /// an import are dense), and how many may be read at once: one when only a single connection sees the database.
    /// </summary>
    public async Task<(IReadOnlyList<SampleRange> Chunks, int Parallelism)> ChunksAsync(int datasetId, long pairCount, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var parallelism = db.Database.GetDbConnection() is SqliteConnection sqlite && !SqliteStatementRows.IsFile(sqlite) ? 1 : Math.Min(Environment.ProcessorCount, 8);
        var samples = db.Samples.Where(s => s.DatasetId == datasetId);
        var first = await samples.MinAsync(s => (long?)s.Id, ct);
        var last = await samples.MaxAsync(s => (long?)s.Id, ct);
        if (first is null || last is null) return ([SampleRange.All], parallelism);
        var count = (long)Math.Clamp(Math.Ceiling(pairCount / (double)PairsPerChunk), 1, 100_000);
        var width = Math.Max(1, (last.Value - first.Value + count) / count);
        var chunks = new List<SampleRange>();
        for (var from = first.Value; from <= last.Value; from += width) chunks.Add(new SampleRange(from, from + width));
        chunks[^1] = chunks[^1] with { To = last.Value + 1 };
        return (chunks, parallelism);
    }

    /// <summary>The sample's columns, which repeat on each of its pairs' rows and are read from the first.</summary>
    private readonly record struct SampleColumns(long SampleId, Utf8Text Prompt, string? ImageHash, string? RecordId, bool IdGenerated, int? Turn,
        Utf8Text? OriginalPrompt, string? ImageProblem, string? ImagePath, List<string>? MoreImageHashes, List<string>? MoreImagePaths)
    {
        public IReadOnlyList<string> ImageHashes => ImageList.All(ImageHash, MoreImageHashes);
    }

    /// <summary>One worker's reading session: its own connection and the query prepared once, re-run for each range.</summary>
    public async Task<Reader> OpenReaderAsync(int datasetId, int? versionId, ExportOptions options, CancellationToken ct)
    {
        var db = await dbFactory.CreateDbContextAsync(ct);
        var lookup = await dbFactory.CreateDbContextAsync(ct);
        try
        {
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync(ct);
            // BPO needs scores and source ids, best-rated needs scores: only those join back to samples and responses.
            // An image pair's weakened image is on its response: formats that carry image pairs join back for it too.
            var format = options.Format.Describe();
            var snapshotOnly = versionId is not null && !format.NeedsSourceColumns && !format.CarriesImagePairs && options.Negatives != NegativeSelection.BestRated;
            var sql = versionId is null ? DraftSql : snapshotOnly ? VersionItemsOnlySql : VersionSql;
            (int, DateTime)? version = versionId is { } id ? (id, await lookup.DatasetVersions.Where(v => v.Id == id).Select(v => v.ApprovedAt).FirstAsync(ct)) : null;
            return new Reader(db, lookup, connection, sql, snapshotOnly, datasetId, options, version);
        }
        catch
        {
            await lookup.DisposeAsync();
            await db.DisposeAsync();
            throw;
        }
    }

    private static (string, long)[] Parameters(long id, SampleRange range) => [("@id", id), ("@from", range.From), ("@to", range.To)];

    /// <param name="snapshotOnly">The query has no source columns or scores (they are NULL literals): not asking for them
    /// saves a third of the column calls per row.</param>
    /// <param name="version">A version's id and approval time (its exports read the feedback as it stood then); null for the draft.</param>
    public sealed class Reader(BpoDbContext db, BpoDbContext lookup, DbConnection connection, string sql, bool snapshotOnly, int datasetId, ExportOptions options,
        (int Id, DateTime ApprovedAt)? version) : IAsyncDisposable
    {
        private readonly long _id = version?.Id ?? datasetId;
        private readonly Utf8TextBuffer _texts = new();
        private IFastRows? _rows;

        public async IAsyncEnumerable<ExportSample> ReadAsync(SampleRange range, [EnumeratorCancellation] CancellationToken ct)
        {
            // BPO holds one question per record: no use looking the earlier turns up for it.
            var history = options.Context == ExportContext.Full && options.Format.Describe().HoldsHistory ? await HistoryAsync(lookup, datasetId, range, ct) : null;
            // A draft's weights come from the spans as they are now; a version's were frozen on its rows when approved.
            var weights = options.Weights && version is null ? await DraftWeightsAsync(lookup, datasetId, range, ct) : null;
            var scores = options.Scorer is { } scorer ? await Judging.ScoreService.LatestAsync(lookup,
                lookup.Pairs.Where(p => p.DatasetId == datasetId && p.SampleId >= range.From && p.SampleId < range.To), scorer, ct) : null;
            var feedback = options.Format.Describe().NeedsFeedback || options.RatingAspect is not null
                ? await ExportFeedback.LoadAsync(lookup, datasetId, version, range, ct) : null;
            var parameters = Parameters(_id, range);
            if (_rows is null) _rows = await IFastRows.OpenAsync(connection, sql, parameters, ct);
            else await _rows.RestartAsync(parameters, ct);
            var rows = _rows;
            SampleColumns? sample = null;
            var pairs = new List<ExportPair>();
            var edited = false;
            var read = 0;
            while (rows.Read())
            {
                if ((++read & 1023) == 0) ct.ThrowIfCancellationRequested();
                var source = Source(rows.GetRepeatedString(Column.DecisionSource));
                if (options.WithoutBulkDecided && source != DecisionSource.Person) continue;
                var sampleId = rows.GetInt64(Column.SampleId);
                if (sample?.SampleId != sampleId)
                {
                    if (sample is { } done && pairs.Count > 0) yield return await ToSampleAsync(lookup, done, pairs, edited, options, history, feedback, ct);
                    sample = ReadSample(rows, sampleId, _texts, snapshotOnly);
                    pairs = [];
                    edited = false;
                }
                // A chosen answer usually has several negatives, on adjacent rows: its text is read, copied and validated once.
                // (Snapshot rows from before response ids were kept carry 0: those are read every time.)
                var chosenId = rows.GetInt64(Column.ChosenId);
                var chosen = chosenId != 0 && pairs.Count > 0 && pairs[^1].Chosen.ResponseId == chosenId
                    ? pairs[^1].Chosen : ReadText(rows, Column.ChosenText, Column.ChosenId, chosenId, _texts, snapshotOnly);
                var rejected = ReadText(rows, Column.RejectedText, Column.RejectedId, rows.GetInt64(Column.RejectedId), _texts, snapshotOnly);
                var pairId = rows.GetInt64(Column.PairId);
                var score = scores?.GetValueOrDefault(pairId);
                double? severity = !options.Weights ? null : weights is not null ? weights.GetValueOrDefault(rejected.ResponseId, 1) : rows.IsNull(Column.Weight) ? 1 : rows.GetDouble(Column.Weight);
                var pair = new ExportPair(pairId, chosen, rejected, source, rejected.Kind.IsImagePair() ? RejectedImages(rows, sample.Value) : null,
                    Weight: ExportWeights.Of(options, severity, source, score), Score: score);
                edited |= pair.Chosen.Edited || pair.Rejected.Edited;
                pairs.Add(pair);
            }
            if (sample is { } last && pairs.Count > 0) yield return await ToSampleAsync(lookup, last, pairs, edited, options, history, feedback, ct);
        }

        public async ValueTask DisposeAsync()
        {
            if (_rows is not null) await _rows.DisposeAsync();
            await lookup.DisposeAsync();
            await db.DisposeAsync();
        }
    }

    /// <summary>
    /// The position of each column in the three row queries below (draft, version, version snapshot only), which all
    /// select in this order; a response's kind, score, method and edited flag follow its id.
    /// </summary>
    private static class Column
    {
        public const int PairId = 0, SampleId = 1, Prompt = 2, ImageHash = 3, ChosenText = 4, RejectedText = 5;
        public const int SourceRecordId = 6, SourceIdGenerated = 7, SourceTurn = 8, SourceOriginalPrompt = 9, ImageProblem = 10, SourceImagePath = 11;
        public const int ChosenId = 12, RejectedId = 17, DecisionSource = 22;
        public const int MoreImageHashes = 23, SourceMoreImagePaths = 24, WeakenedImageHash = 25, WeakenedImageIndex = 26, MoreWeakenedImageHashes = 27, Weight = 28;
    }

    private const string Columns = """
        s."SourceRecordId", s."SourceIdGenerated", s."SourceTurn", s."SourceOriginalPrompt", s."ImageProblem", s."SourceImagePath",
        c."Id", c."Kind", c."Score", c."Method", c."PreviousVersionId" IS NOT NULL,
        r."Id", r."Kind", r."Score", r."Method", r."PreviousVersionId" IS NOT NULL
        """;

    // After the decision source: the sample's later images, then the rejected response's weakened image(s) (an image pair's rejected side).
    private const string ImageColumns = """s."MoreImageHashes", s."SourceMoreImagePaths", r."WeakenedImageHash", r."WeakenedImageIndex", r."MoreWeakenedImageHashes" """;

    // Items carry the frozen texts; responses and samples only immutable metadata.
    private const string VersionSql = $"""
        SELECT i."PairId", i."SampleId", i."Prompt", i."ImageHash", i."ChosenText", i."RejectedText", {Columns}, i."DecisionSource", {ImageColumns}, i."Weight"
        FROM "DatasetVersionItems" i
        JOIN "Samples" s ON s."Id" = i."SampleId"
        JOIN "Responses" c ON c."Id" = i."ChosenResponseId"
        JOIN "Responses" r ON r."Id" = i."RejectedResponseId"
        WHERE i."DatasetVersionId" = @id AND i."SampleId" >= @from AND i."SampleId" < @to
        ORDER BY i."SampleId", i."PairId"
        """;

    // The same columns as above, from the version's own snapshot rows: no joins (the common export of a version).
    internal const string VersionItemsOnlySql = """
        SELECT i."PairId", i."SampleId", i."Prompt", i."ImageHash", i."ChosenText", i."RejectedText",
            NULL, FALSE, NULL, NULL, i."ImageProblem", i."ImagePath",
            i."ChosenResponseId", i."ChosenKind", NULL, NULL, i."ChosenEdited",
            i."RejectedResponseId", i."RejectedKind", NULL, i."RejectedMethod", i."RejectedEdited", i."DecisionSource",
            i."MoreImageHashes", NULL, NULL, NULL, NULL, i."Weight"
        FROM "DatasetVersionItems" i
        WHERE i."DatasetVersionId" = @id AND i."SampleId" >= @from AND i."SampleId" < @to
        ORDER BY i."SampleId", i."PairId"
        """;

    // The unary plus keeps SQLite off the (dataset, status, ...) index, which would scan every accepted pair of the
    // dataset for each range and sort them; the sample-id index yields the range already in (sample, pair) order.
    internal const string DraftSql = $"""
        SELECT p."Id", p."SampleId", s."Prompt", s."ImageHash", c."Text", r."Text", {Columns}, p."DecisionSource", {ImageColumns}, NULL
        FROM "Pairs" p
        JOIN "Samples" s ON s."Id" = p."SampleId"
        JOIN "Responses" c ON c."Id" = p."ChosenResponseId"
        JOIN "Responses" r ON r."Id" = p."RejectedResponseId"
        WHERE +p."DatasetId" = @id AND p."Status" = '{nameof(PairStatus.Accepted)}' AND p."SampleId" >= @from AND p."SampleId" < @to
        ORDER BY p."SampleId", p."Id"
        """;

    private static Task<Dictionary<long, double>> DraftWeightsAsync(BpoDbContext lookup, int datasetId, SampleRange range, CancellationToken ct) =>
        Feedback.PairWeights.OfAsync(lookup, datasetId,
            lookup.Pairs.Where(p => p.DatasetId == datasetId && p.SampleId >= range.From && p.SampleId < range.To && p.Status == PairStatus.Accepted), ct);

    private static SampleColumns ReadSample(IFastRows r, long sampleId, Utf8TextBuffer texts, bool snapshotOnly) => snapshotOnly
        ? new(sampleId, r.GetUtf8(Column.Prompt, texts), OptionalString(r, Column.ImageHash), null, false, null, null, OptionalString(r, Column.ImageProblem),
            OptionalString(r, Column.SourceImagePath), OptionalList(r, Column.MoreImageHashes), null)
        : new(sampleId, r.GetUtf8(Column.Prompt, texts), OptionalString(r, Column.ImageHash), OptionalString(r, Column.SourceRecordId), r.GetBoolean(Column.SourceIdGenerated),
            r.IsNull(Column.SourceTurn) ? null : (int)r.GetInt64(Column.SourceTurn), r.IsNull(Column.SourceOriginalPrompt) ? null : r.GetUtf8(Column.SourceOriginalPrompt, texts),
            OptionalString(r, Column.ImageProblem), OptionalString(r, Column.SourceImagePath), OptionalList(r, Column.MoreImageHashes), OptionalList(r, Column.SourceMoreImagePaths));

    private static IReadOnlyList<string>? RejectedImages(IFastRows r, SampleColumns sample) => r.IsNull(Column.WeakenedImageHash) ? null
        : GeneratorProvenance.WeakenedImages(sample.ImageHashes, r.GetString(Column.WeakenedImageHash),
            r.IsNull(Column.WeakenedImageIndex) ? null : (int)r.GetInt64(Column.WeakenedImageIndex), OptionalList(r, Column.MoreWeakenedImageHashes));

    private static List<string>? OptionalList(IFastRows r, int ordinal) => r.IsNull(ordinal) ? null : ImageList.Parse(r.GetString(ordinal));

    /// <summary>A response's text and, after its <paramref name="id"/> at <paramref name="first"/>, its kind, score, method and whether it was edited.</summary>
    private static ExportText ReadText(IFastRows r, int text, int first, long id, Utf8TextBuffer texts, bool snapshotOnly) =>
        new(id, r.GetUtf8(text, texts), ResponseKindNames.Parse(r.GetRepeatedString(first + 1)), snapshotOnly || r.IsNull(first + 2) ? null : r.GetDouble(first + 2),
            r.IsNull(first + 3) ? null : r.GetRepeatedString(first + 3), r.GetBoolean(first + 4));

    private static DecisionSource Source(string stored) => stored switch
    {
        "Person" => DecisionSource.Person,
        "Bulk" => DecisionSource.Bulk,
        _ => Enum.Parse<DecisionSource>(stored),
    };

    private static string? OptionalString(IFastRows reader, int ordinal) => reader.IsNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>
    /// For the later turns in a range, the turns before each: the source record's earlier samples (same file, same
    /// record id, lower turn) with their imported ground-truth answers. One query per range; none match for
    /// single-turn data, so it costs an index probe per chunk.
    /// </summary>
    private static async Task<Dictionary<long, IReadOnlyList<ExportTurn>>?> HistoryAsync(BpoDbContext lookup, int datasetId, SampleRange range, CancellationToken ct)
    {
        var rows = await (
            from s in lookup.Samples
            where s.DatasetId == datasetId && s.Id >= range.From && s.Id < range.To && s.Source.Turn > 0 && s.Source.RecordId != null
            from h in lookup.Samples
            where h.DatasetId == datasetId && h.Source.File == s.Source.File && h.Source.RecordId == s.Source.RecordId && h.Source.Turn < s.Source.Turn
            from gt in lookup.Responses
            where gt.SampleId == h.Id && gt.Kind == ResponseKind.Gt && gt.PreviousVersionId == null
            orderby s.Id, h.Source.Turn, gt.Id
            select new { s.Id, h.Source.Turn, h.Prompt, h.Source.OriginalPrompt, gt.Text }).AsNoTracking().ToListAsync(ct);
        if (rows.Count == 0) return null;
        return rows.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => (IReadOnlyList<ExportTurn>)g.DistinctBy(r => r.Turn)
            .Select(r => new ExportTurn(Utf8Text.From(r.Prompt), Utf8Text.From(r.Text), r.OriginalPrompt is null ? null : Utf8Text.From(r.OriginalPrompt))).ToList());
    }

    private static async ValueTask<ExportSample> ToSampleAsync(BpoDbContext lookup, SampleColumns sample, List<ExportPair> pairs, bool edited, ExportOptions options,
        Dictionary<long, IReadOnlyList<ExportTurn>>? history, Dictionary<long, SampleFeedback>? feedback, CancellationToken ct)
    {
        var sampleFeedback = feedback?.GetValueOrDefault(sample.SampleId);
        if (edited)
        {
            // Pairs that share a chosen answer share its text object: its edit chain is looked up once, and it stays shared.
            (ExportText? Read, ExportText? Resolved) chosen = (null, null);
            for (var i = 0; i < pairs.Count; i++)
            {
                if (!ReferenceEquals(chosen.Read, pairs[i].Chosen)) chosen = (pairs[i].Chosen, await ResolveEditAsync(lookup, pairs[i].Chosen, options, ct));
                pairs[i] = pairs[i] with { Chosen = chosen.Resolved!, Rejected = await ResolveEditAsync(lookup, pairs[i].Rejected, options, ct) };
            }
        }
        return new ExportSample(sample.SampleId, sample.RecordId, sample.IdGenerated, sample.Turn, sample.Prompt, sample.OriginalPrompt,
            sample.ImageHash, sample.ImageProblem, sample.ImagePath, PickNegatives(pairs, options, sampleFeedback), history?.GetValueOrDefault(sample.SampleId),
            sample.MoreImageHashes, sample.MoreImagePaths, Feedback: sampleFeedback, Ranked: options.Listwise ? Rank(pairs, options, sampleFeedback) : null);
    }

    /// <summary>A sample's distinct answers best first: chosen answers, then negatives, each by the rating aspect when one is given, else by score.</summary>
    private static IReadOnlyList<ExportText> Rank(List<ExportPair> pairs, ExportOptions options, SampleFeedback? feedback)
    {
        double Key(ExportText t) => (options.RatingAspect is { } aspect ? feedback?.Responses.GetValueOrDefault(t.ResponseId)?.RatingFor(aspect) : t.Score) ?? double.NegativeInfinity;
        var chosen = pairs.Select(p => p.Chosen).DistinctBy(t => t.ResponseId).ToList();
        var chosenIds = chosen.Select(t => t.ResponseId).ToHashSet();
        var rejected = pairs.Select(p => p.Rejected).DistinctBy(t => t.ResponseId).Where(t => !chosenIds.Contains(t.ResponseId));
        return [.. chosen.OrderByDescending(Key).ThenBy(t => t.ResponseId), .. rejected.OrderByDescending(Key).ThenBy(t => t.ResponseId)];
    }

    // Best-rated by an aspect ranks each negative by that rating (or the mean), unrated last; the pairs go out as they
    // are, their scores untouched.
    private static IReadOnlyList<ExportPair> PickNegatives(List<ExportPair> pairs, ExportOptions options, SampleFeedback? feedback)
    {
        if (options.RatingAspect is not { } aspect) return NegativePicker.Pick(pairs, options.Negatives);
        var ranked = pairs.Select(p => p with { Rejected = p.Rejected with { Score = feedback?.Responses.GetValueOrDefault(p.Rejected.ResponseId)?.RatingFor(aspect) } }).ToList();
        var chosen = NegativePicker.Pick(ranked, options.Negatives).Select(p => p.PairId).ToHashSet();
        return [.. pairs.Where(p => chosen.Contains(p.PairId))];
    }

    // An edited response points at what it replaced; the chain's root holds the generator's method and text.
    private static async ValueTask<ExportText> ResolveEditAsync(BpoDbContext lookup, ExportText text, ExportOptions options, CancellationToken ct)
    {
        if (!text.Edited) return text;
        var current = await lookup.Responses.AsNoTracking().FirstAsync(r => r.Id == text.ResponseId, ct);
        while (current.PreviousVersionId is { } previous) current = await lookup.Responses.AsNoTracking().FirstAsync(r => r.Id == previous, ct);
        return text with { Text = options.UseEditedTexts ? text.Text : Utf8Text.From(current.Text), Method = current.Provenance.Method };
    }
}

public static class NegativePicker
{
    /// <summary>All pairs; or per chosen response, the first negative of each method; or its best-scored negative that differs from it (ties: first).</summary>
    public static IReadOnlyList<ExportPair> Pick(IReadOnlyList<ExportPair> pairs, NegativeSelection selection) => selection switch
    {
        NegativeSelection.All => pairs,
        NegativeSelection.OnePerMethod => pairs.GroupBy(p => (p.Chosen.ResponseId, p.Rejected.Method ?? p.Rejected.Kind.ToWire())).Select(g => g.First()).ToList(),
        // A best negative identical to the chosen answer teaches nothing and would be left out: the next best stands in.
        NegativeSelection.BestRated => pairs.GroupBy(p => p.Chosen.ResponseId)
            .Select(g => g.OrderBy(p => p.Rejected.Text == p.Chosen.Text).ThenByDescending(p => p.Rejected.Score ?? double.NegativeInfinity).ThenBy(p => p.PairId).First()).ToList(),
        _ => throw new ArgumentOutOfRangeException(nameof(selection)),
    };
}
