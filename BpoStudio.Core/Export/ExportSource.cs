using System.Data.Common;
using System.Runtime.CompilerServices;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

public sealed record ExportText(long ResponseId, string Text, ResponseKind Kind, double? Score, string? Method, bool Edited);

public sealed record ExportPair(long PairId, ExportText Chosen, ExportText Rejected);

/// <summary>One sample with the pairs that survive the negative selection, in pair order.</summary>
public sealed record ExportSample(long SampleId, string? RecordId, bool IdGenerated, int? Turn, string Prompt, string? OriginalPrompt,
    string? ImageHash, string? ImageProblem, string? ImagePath, IReadOnlyList<ExportPair> Pairs);

/// <summary>
/// Streams the pairs of an approved version (its frozen texts) or, for a draft, the currently accepted pairs, grouped
/// by sample. Never holds more than one sample's pairs in memory.
/// </summary>
public sealed class ExportSource(IDbContextFactory<BpoDbContext> dbFactory)
{
    private sealed record Row(long PairId, long SampleId, string Prompt, string? ImageHash, string ChosenText, string RejectedText,
        string? RecordId, bool IdGenerated, int? Turn, string? OriginalPrompt, string? ImageProblem, string? ImagePath,
        long ChosenId, ResponseKind ChosenKind, double? ChosenScore, string? ChosenMethod, bool ChosenEdited,
        long RejectedId, ResponseKind RejectedKind, double? RejectedScore, string? RejectedMethod, bool RejectedEdited);

    public async IAsyncEnumerable<ExportSample> ReadAsync(int datasetId, int? versionId, ExportOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var lookup = await dbFactory.CreateDbContextAsync(ct);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        // BPO needs scores and source ids, best-rated needs scores: only those join back to samples and responses.
        command.CommandText = versionId is null ? DraftSql
            : options.Format == ExportFormat.Bpo || options.Negatives == NegativeSelection.BestRated ? VersionSql : VersionItemsOnlySql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@id";
        parameter.Value = versionId ?? datasetId;
        command.Parameters.Add(parameter);

        // A plain data reader read synchronously: EF materialisation and async steps cost more than SQLite itself here.
        await using var reader = await command.ExecuteReaderAsync(ct);
        var group = new List<Row>();
        var read = 0;
        while (reader.Read())
        {
            if ((++read & 1023) == 0) ct.ThrowIfCancellationRequested();
            var row = ReadRow(reader, group.Count > 0 ? group[0] : null);
            if (group.Count > 0 && group[0].SampleId != row.SampleId)
            {
                yield return await ToSampleAsync(lookup, group, options, ct);
                group.Clear();
            }
            group.Add(row);
        }
        if (group.Count > 0) yield return await ToSampleAsync(lookup, group, options, ct);
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
        WHERE i."DatasetVersionId" = @id
        ORDER BY i."SampleId", i."PairId"
        """;

    // The same columns as above, from the version's own snapshot rows: no joins (the common export of a version).
    private const string VersionItemsOnlySql = """
        SELECT i."PairId", i."SampleId", i."Prompt", i."ImageHash", i."ChosenText", i."RejectedText",
            NULL, FALSE, NULL, NULL, i."ImageProblem", i."ImagePath",
            i."ChosenResponseId", i."ChosenKind", NULL, NULL, i."ChosenEdited",
            i."RejectedResponseId", i."RejectedKind", NULL, i."RejectedMethod", i."RejectedEdited"
        FROM "DatasetVersionItems" i
        WHERE i."DatasetVersionId" = @id
        ORDER BY i."SampleId", i."PairId"
        """;

    private const string DraftSql = $"""
        SELECT p."Id", p."SampleId", s."Prompt", s."ImageHash", c."Text", r."Text", {Columns}
        FROM "Pairs" p
        JOIN "Samples" s ON s."Id" = p."SampleId"
        JOIN "Responses" c ON c."Id" = p."ChosenResponseId"
        JOIN "Responses" r ON r."Id" = p."RejectedResponseId"
        WHERE p."DatasetId" = @id AND p."Status" = 'Accepted'
        ORDER BY p."SampleId", p."Id"
        """;

    // Sample columns repeat on every pair of a sample; they are read once per sample.
    private static Row ReadRow(DbDataReader r, Row? sameSample)
    {
        var sampleId = r.GetInt64(1);
        if (sameSample?.SampleId != sampleId) sameSample = null;
        return new Row(r.GetInt64(0), sampleId, sameSample?.Prompt ?? r.GetString(2), sameSample is null ? OptionalString(r, 3) : sameSample.ImageHash, r.GetString(4), r.GetString(5),
            sameSample is null ? OptionalString(r, 6) : sameSample.RecordId, sameSample?.IdGenerated ?? r.GetBoolean(7),
            sameSample is null ? r.IsDBNull(8) ? null : r.GetInt32(8) : sameSample.Turn,
            sameSample is null ? OptionalString(r, 9) : sameSample.OriginalPrompt, sameSample is null ? OptionalString(r, 10) : sameSample.ImageProblem,
            sameSample is null ? OptionalString(r, 11) : sameSample.ImagePath,
            r.GetInt64(12), ResponseKindNames.Parse(r.GetString(13)), r.IsDBNull(14) ? null : r.GetDouble(14), OptionalString(r, 15), r.GetBoolean(16),
            r.GetInt64(17), ResponseKindNames.Parse(r.GetString(18)), r.IsDBNull(19) ? null : r.GetDouble(19), OptionalString(r, 20), r.GetBoolean(21));
    }

    private static string? OptionalString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static async Task<ExportSample> ToSampleAsync(BpoDbContext lookup, List<Row> rows, ExportOptions options, CancellationToken ct)
    {
        var pairs = new List<ExportPair>(rows.Count);
        foreach (var row in rows)
            pairs.Add(new ExportPair(row.PairId,
                row.ChosenEdited ? await EditedAsync(lookup, row.ChosenId, row.ChosenText, row.ChosenKind, row.ChosenScore, options, ct)
                    : new ExportText(row.ChosenId, row.ChosenText, row.ChosenKind, row.ChosenScore, row.ChosenMethod, false),
                row.RejectedEdited ? await EditedAsync(lookup, row.RejectedId, row.RejectedText, row.RejectedKind, row.RejectedScore, options, ct)
                    : new ExportText(row.RejectedId, row.RejectedText, row.RejectedKind, row.RejectedScore, row.RejectedMethod, false)));
        var first = rows[0];
        return new ExportSample(first.SampleId, first.RecordId, first.IdGenerated, first.Turn, first.Prompt, first.OriginalPrompt,
            first.ImageHash, first.ImageProblem, first.ImagePath, NegativePicker.Pick(pairs, options.Negatives));
    }

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
