using System.Data.Common;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Import;

/// <summary>The import's prepared inserts of samples, responses and pairs, reused for every row of a batch (quoted identifiers: both providers).</summary>
internal sealed class BulkInserter(DbConnection connection, DbTransaction transaction) : IDisposable
{
    private readonly PreparedCommand _sample = new(connection, transaction, """
        INSERT INTO "Samples" ("DatasetId", "ImageHash", "ImageProblem", "Prompt", "CreatedAt", "SourceFile", "SourceRecordId", "SourceTurn", "SourceImagePath", "SourceOriginalPrompt", "SourceIdGenerated", "MoreImageHashes", "SourceMoreImagePaths", "SourceExtraJson")
        VALUES (@dataset, @hash, @problem, @prompt, @created, @file, @record, @turn, @path, @original, @generated, @moreHashes, @morePaths, @extra) RETURNING "Id"
        """, "dataset", "hash", "problem", "prompt", "created", "file", "record", "turn", "path", "original", "generated", "moreHashes", "morePaths", "extra");
    private readonly PreparedCommand _response = new(connection, transaction, """
        INSERT INTO "Responses" ("SampleId", "Text", "Kind", "Score", "CreatedAt", "Method", "Model", "ExtraJson", "ParametersJson")
        VALUES (@sample, @text, @kind, @score, @created, @method, @model, @extra, @parameters) RETURNING "Id"
        """, "sample", "text", "kind", "score", "created", "method", "model", "extra", "parameters");
    private readonly PreparedCommand _pair = new(connection, transaction, """
        INSERT INTO "Pairs" ("DatasetId", "SampleId", "ChosenResponseId", "RejectedResponseId", "Status", "DecisionSource", "RowVersion")
        VALUES (@dataset, @sample, @chosen, @rejected, @status, @source, 0)
        """, "dataset", "sample", "chosen", "rejected", "status", "source");

    /// <summary>Ratings that arrive with the imported responses, written through Feedback, which owns them.</summary>
    public Feedback.RatingWriter Ratings { get; } = new(connection, transaction);

    public Task<long> InsertSampleAsync(Sample s, CancellationToken ct) =>
        _sample.InsertAsync(ct, s.DatasetId, s.ImageHash, s.ImageProblem, s.Prompt, s.CreatedAt, s.Source.File, s.Source.RecordId, s.Source.Turn, s.Source.ImagePath, s.Source.OriginalPrompt, s.Source.IdGenerated,
            ImageList.Format(s.MoreImageHashes), ImageList.Format(s.Source.MoreImagePaths), s.Source.ExtraJson);

    public Task<long> InsertResponseAsync(Response r, CancellationToken ct) =>
        _response.InsertAsync(ct, r.SampleId, r.Text, r.Kind.ToWire(), r.Score, r.CreatedAt, r.Provenance.Method, r.Provenance.Model, r.Provenance.ExtraJson, r.Provenance.ParametersJson);

    public Task InsertPairAsync(PreferencePair p, CancellationToken ct) =>
        _pair.ExecuteAsync(ct, p.DatasetId, p.SampleId, p.ChosenResponseId, p.RejectedResponseId, p.Status.ToString(), DecisionSource.Person.ToString());

    public void Dispose()
    {
        _sample.Dispose();
        _response.Dispose();
        _pair.Dispose();
        Ratings.Dispose();
    }
}
