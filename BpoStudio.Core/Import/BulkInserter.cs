using System.Data.Common;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Import;

/// <summary>
/// The import's writes of samples, responses and pairs, a batch at a time in multi-row statements (quoted identifiers:
/// both providers). Ids come back through RETURNING; each row's id is matched to it by a column it carries, so the
/// mapping never rests on the order a database returns rows in. One inserter serves every batch of an import on its
/// one connection (<see cref="Enlist"/>), so its statements are prepared once.
/// </summary>
internal sealed class BulkInserter(DbConnection connection) : IDisposable
{
    private readonly MultiRowInsert _samples = new(connection, null, "Samples",
        ["DatasetId", "ImageHash", "ImageProblem", "Prompt", "CreatedAt", "SourceFile", "SourceRecordId", "SourceTurn", "SourceImagePath", "SourceOriginalPrompt", "SourceIdGenerated", "MoreImageHashes", "SourceMoreImagePaths", "SourceExtraJson"],
        ["Id", "SourceRecordId", "SourceTurn"]);
    private readonly MultiRowInsert _responses = new(connection, null, "Responses",
        ["SampleId", "Text", "Kind", "Score", "CreatedAt", "Method", "Model", "ExtraJson", "ParametersJson"], ["Id", "SampleId"]);
    private readonly MultiRowInsert _pairs = new(connection, null, "Pairs",
        ["DatasetId", "SampleId", "ChosenResponseId", "RejectedResponseId", "Status", "DecisionSource", "RowVersion"]);

    /// <summary>Ratings that arrive with the imported responses, written through Feedback, which owns them.</summary>
    public Feedback.RatingWriter Ratings { get; } = new(connection);

    /// <summary>The batch's transaction, which the next writes join.</summary>
    public void Enlist(DbTransaction transaction)
    {
        _samples.Transaction = _responses.Transaction = _pairs.Transaction = transaction;
        Ratings.Transaction = transaction;
    }

    /// <summary>Writes the samples (without their responses) and sets their ids. A batch's new samples differ in record id or turn.</summary>
    public async Task InsertSamplesAsync(IReadOnlyList<Sample> samples, CancellationToken ct)
    {
        var returned = await _samples.InsertAsync([.. samples.Select(s => new object?[]
        {
            s.DatasetId, s.ImageHash, s.ImageProblem, s.Prompt, s.CreatedAt, s.Source.File, s.Source.RecordId, s.Source.Turn, s.Source.ImagePath, s.Source.OriginalPrompt, s.Source.IdGenerated,
            ImageList.Format(s.MoreImageHashes), ImageList.Format(s.Source.MoreImagePaths), s.Source.ExtraJson,
        })], ct);
        var ids = returned.ToDictionary(r => (r[1] as string, r[2] is DBNull ? (int?)null : (int)Int(r[2])), r => Int(r[0]));
        foreach (var sample in samples)
            sample.Id = ids.TryGetValue((sample.Source.RecordId, sample.Source.Turn), out var id) ? id
                : throw new InvalidOperationException($"The database returned no id for record {sample.Source.RecordId} turn {sample.Source.Turn}.");
    }

    /// <summary>Writes the responses (their sample ids set) and sets their ids: a sample's responses get its new ids in ascending order.</summary>
    public async Task InsertResponsesAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        var returned = await _responses.InsertAsync([.. responses.Select(r => new object?[]
        {
            r.SampleId, r.Text, r.Kind.ToWire(), r.Score, r.CreatedAt, r.Provenance.Method, r.Provenance.Model, r.Provenance.ExtraJson, r.Provenance.ParametersJson,
        })], ct);
        var idsBySample = returned.Select(r => (Id: Int(r[0]), Sample: Int(r[1])))
            .OrderBy(r => r.Id).GroupBy(r => r.Sample).ToDictionary(g => g.Key, g => new Queue<long>(g.Select(r => r.Id)));
        foreach (var response in responses)
            response.Id = idsBySample.TryGetValue(response.SampleId, out var ids) && ids.TryDequeue(out var id) ? id
                : throw new InvalidOperationException($"The database returned too few ids for the responses of sample {response.SampleId}.");
    }

    /// <summary>Writes the pairs; gives how many.</summary>
    public async Task<int> InsertPairsAsync(IEnumerable<PreferencePair> pairs, CancellationToken ct)
    {
        List<object?[]> rows = [.. pairs.Select(p => new object?[] { p.DatasetId, p.SampleId, p.ChosenResponseId, p.RejectedResponseId, p.Status.ToString(), DecisionSource.Person.ToString(), 0 })];
        await _pairs.InsertAsync(rows, ct);
        return rows.Count;
    }

    private static long Int(object value) => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _samples.Dispose();
        _responses.Dispose();
        _pairs.Dispose();
        Ratings.Dispose();
    }
}
