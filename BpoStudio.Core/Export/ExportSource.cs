using System.Runtime.CompilerServices;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

public sealed record ExportText(long ResponseId, string Text, ResponseKind Kind, double? Score, string? Method, bool Edited);

public sealed record ExportPair(long PairId, ExportText Chosen, ExportText Rejected);

/// <summary>One sample with the pairs that survive the negative selection, in pair order.</summary>
public sealed record ExportSample(long SampleId, string? RecordId, bool IdGenerated, int? Turn, string Prompt, string? OriginalPrompt,
    string? ImageHash, string? ImageProblem, string? ImagePath, IReadOnlyList<ExportPair> Pairs);

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

    private readonly record struct Row(long PairId, long SampleId, string Prompt, string? ImageHash, string ChosenText, string RejectedText,
        string? RecordId, bool IdGenerated, int? Turn, string? OriginalPrompt, string? ImageProblem, string? ImagePath,
        long ChosenId, ResponseKind ChosenKind, double? ChosenScore, string? ChosenMethod, bool ChosenEdited,
        long RejectedId, ResponseKind RejectedKind, double? RejectedScore, string? RejectedMethod, bool RejectedEdited);

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
            var sql = versionId is null ? DraftSql
                : options.Format == ExportFormat.Bpo || options.Negatives == NegativeSelection.BestRated ? VersionSql : VersionItemsOnlySql;
            return new Reader(db, lookup, connection, sql, versionId ?? datasetId, options);
        }
        catch
        {
            await lookup.DisposeAsync();
            await db.DisposeAsync();
            throw;
        }
    }

    private static (string, long)[] Parameters(long id, SampleRange range) => [("@id", id), ("@from", range.From), ("@to", range.To)];

    public sealed class Reader(BpoDbContext db, BpoDbContext lookup, DbConnection connection, string sql, long id, ExportOptions options) : IAsyncDisposable
    {
        private IExportRows? _rows;

        public async IAsyncEnumerable<ExportSample> ReadAsync(SampleRange range, [EnumeratorCancellation] CancellationToken ct)
        {
            var parameters = Parameters(id, range);
            if (_rows is null) _rows = await IExportRows.OpenAsync(connection, sql, parameters, ct);
            else await _rows.RestartAsync(parameters, ct);
            var rows = _rows;
            var group = new List<Row>();
            var read = 0;
            while (rows.Read())
            {
                if ((++read & 1023) == 0) ct.ThrowIfCancellationRequested();
                var row = ReadRow(rows, group.Count > 0 ? group[0] : null);
                if (group.Count > 0 && group[0].SampleId != row.SampleId)
                {
                    yield return await ToSampleAsync(lookup, group, options, ct);
                    group.Clear();
                }
                group.Add(row);
            }
            if (group.Count > 0) yield return await ToSampleAsync(lookup, group, options, ct);
        }

        public async ValueTask DisposeAsync()
        {
            if (_rows is not null) await _rows.DisposeAsync();
            await lookup.DisposeAsync();
            await db.DisposeAsync();
        }
    }

    private const string Columns = """
        s."SourceRecordId", s."SourceIdGenerated", s."SourceTurn", s."SourceOriginalPrompt", s."ImageProblem", s."SourceImagePath",
        c."Id", c."Kind", c."Score", c."Method", c."PreviousVersionId" IS NOT NULL,
        r."Id", r."Kind", r."Score", r."Method", r."PreviousVersionId" IS NOT NULL
        """;

    // Items carry the frozen texts; responses and samples only immutable metadata.
    private const string VersionSql = $"""
        SELECT i."PairId", i."SampleId", i."Prompt", i."ImageHash", i."ChosenText", i."RejectedText", {Columns}
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
            i."RejectedResponseId", i."RejectedKind", NULL, i."RejectedMethod", i."RejectedEdited"
        FROM "DatasetVersionItems" i
        WHERE i."DatasetVersionId" = @id AND i."SampleId" >= @from AND i."SampleId" < @to
        ORDER BY i."SampleId", i."PairId"
        """;

    // The unary plus keeps SQLite off the (dataset, status, ...) index, which would scan every accepted pair of the
    // dataset for each range and sort them; the sample-id index yields the range already in (sample, pair) order.
    internal const string DraftSql = $"""
        SELECT p."Id", p."SampleId", s."Prompt", s."ImageHash", c."Text", r."Text", {Columns}
        FROM "Pairs" p
        JOIN "Samples" s ON s."Id" = p."SampleId"
        JOIN "Responses" c ON c."Id" = p."ChosenResponseId"
        JOIN "Responses" r ON r."Id" = p."RejectedResponseId"
        WHERE +p."DatasetId" = @id AND p."Status" = 'Accepted' AND p."SampleId" >= @from AND p."SampleId" < @to
        ORDER BY p."SampleId", p."Id"
        """;

    // Sample columns repeat on every pair of a sample; they are read once per sample.
    private static Row ReadRow(IExportRows r, Row? previous)
    {
        var sampleId = r.GetInt64(1);
        var pairId = r.GetInt64(0);
        string chosen = r.GetString(4), rejected = r.GetString(5);
        long chosenId = r.GetInt64(12), rejectedId = r.GetInt64(17);
        var chosenKind = ResponseKindNames.Parse(r.GetRepeatedString(13));
        var rejectedKind = ResponseKindNames.Parse(r.GetRepeatedString(18));
        double? chosenScore = r.IsNull(14) ? null : r.GetDouble(14), rejectedScore = r.IsNull(19) ? null : r.GetDouble(19);
        string? chosenMethod = OptionalRepeated(r, 15), rejectedMethod = OptionalRepeated(r, 20);
        bool chosenEdited = r.GetBoolean(16), rejectedEdited = r.GetBoolean(21);
        if (previous is { } same && same.SampleId == sampleId)
            return same with
            {
                PairId = pairId, ChosenText = chosen, RejectedText = rejected, ChosenId = chosenId, ChosenKind = chosenKind, ChosenScore = chosenScore,
                ChosenMethod = chosenMethod, ChosenEdited = chosenEdited, RejectedId = rejectedId, RejectedKind = rejectedKind,
                RejectedScore = rejectedScore, RejectedMethod = rejectedMethod, RejectedEdited = rejectedEdited,
            };
        return new Row(pairId, sampleId, r.GetString(2), OptionalString(r, 3), chosen, rejected, OptionalString(r, 6), r.GetBoolean(7),
            r.IsNull(8) ? null : (int)r.GetInt64(8), OptionalString(r, 9), OptionalString(r, 10), OptionalString(r, 11),
            chosenId, chosenKind, chosenScore, chosenMethod, chosenEdited, rejectedId, rejectedKind, rejectedScore, rejectedMethod, rejectedEdited);
    }

    private static string? OptionalRepeated(IExportRows reader, int ordinal) => reader.IsNull(ordinal) ? null : reader.GetRepeatedString(ordinal);

    private static string? OptionalString(IExportRows reader, int ordinal) => reader.IsNull(ordinal) ? null : reader.GetString(ordinal);

    private static ValueTask<ExportSample> ToSampleAsync(BpoDbContext lookup, List<Row> rows, ExportOptions options, CancellationToken ct)
    {
        foreach (var row in rows)
            if (row.ChosenEdited || row.RejectedEdited) return WithEditsAsync(lookup, rows, options, ct);
        var pairs = new List<ExportPair>(rows.Count);
        foreach (var row in rows)
            pairs.Add(new ExportPair(row.PairId, new ExportText(row.ChosenId, row.ChosenText, row.ChosenKind, row.ChosenScore, row.ChosenMethod, false),
                new ExportText(row.RejectedId, row.RejectedText, row.RejectedKind, row.RejectedScore, row.RejectedMethod, false)));
        return ValueTask.FromResult(ToSample(rows[0], pairs, options));
    }

    private static async ValueTask<ExportSample> WithEditsAsync(BpoDbContext lookup, List<Row> rows, ExportOptions options, CancellationToken ct)
    {
        var pairs = new List<ExportPair>(rows.Count);
        foreach (var row in rows)
            pairs.Add(new ExportPair(row.PairId,
                row.ChosenEdited ? await EditedAsync(lookup, row.ChosenId, row.ChosenText, row.ChosenKind, row.ChosenScore, options, ct)
                    : new ExportText(row.ChosenId, row.ChosenText, row.ChosenKind, row.ChosenScore, row.ChosenMethod, false),
                row.RejectedEdited ? await EditedAsync(lookup, row.RejectedId, row.RejectedText, row.RejectedKind, row.RejectedScore, options, ct)
                    : new ExportText(row.RejectedId, row.RejectedText, row.RejectedKind, row.RejectedScore, row.RejectedMethod, false)));
        return ToSample(rows[0], pairs, options);
    }

    private static ExportSample ToSample(Row first, List<ExportPair> pairs, ExportOptions options) =>
        new(first.SampleId, first.RecordId, first.IdGenerated, first.Turn, first.Prompt, first.OriginalPrompt,
            first.ImageHash, first.ImageProblem, first.ImagePath, NegativePicker.Pick(pairs, options.Negatives));

    // An edited response points at what it replaced; the chain's root holds the generator's method and text.
    private static async Task<ExportText> EditedAsync(BpoDbContext lookup, long id, string text, ResponseKind kind, double? score, ExportOptions options, CancellationToken ct)
    {
        var current = await lookup.Responses.AsNoTracking().FirstAsync(r => r.Id == id, ct);
        while (current.PreviousVersionId is { } previous) current = await lookup.Responses.AsNoTracking().FirstAsync(r => r.Id == previous, ct);
        return new ExportText(id, options.UseEditedTexts ? text : current.Text, kind, score, current.Provenance.Method, true);
    }
}

public static class NegativePicker
{
    /// <summary>All pairs; or per chosen response, the first negative of each method; or its best-scored negative (ties: first).</summary>
    public static IReadOnlyList<ExportPair> Pick(IReadOnlyList<ExportPair> pairs, NegativeSelection selection) => selection switch
    {
        NegativeSelection.All => pairs,
        NegativeSelection.OnePerMethod => pairs.GroupBy(p => (p.Chosen.ResponseId, p.Rejected.Method ?? p.Rejected.Kind.ToWire())).Select(g => g.First()).ToList(),
        NegativeSelection.BestRated => pairs.GroupBy(p => p.Chosen.ResponseId)
            .Select(g => g.OrderByDescending(p => p.Rejected.Score ?? double.NegativeInfinity).ThenBy(p => p.PairId).First()).ToList(),
        _ => throw new ArgumentOutOfRangeException(nameof(selection)),
    };
}
