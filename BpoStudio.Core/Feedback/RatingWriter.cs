using System.Data.Common;
using BpoStudio.Core.Data;

namespace BpoStudio.Core.Feedback;

/// <summary>Feedback's way for a bulk writer (an import) to add ratings inside its own transaction; Feedback owns the table.</summary>
internal sealed class RatingWriter(DbConnection connection, DbTransaction transaction) : IDisposable
{
    private readonly PreparedCommand _insert = new(connection, transaction, """
        INSERT INTO "ResponseRatings" ("DatasetId", "ResponseId", "Aspect", "Value", "Raw", "Rationale", "RatedBy", "RatedAt")
        VALUES (@dataset, @response, @aspect, @value, @raw, @rationale, @by, @at)
        """, "dataset", "response", "aspect", "value", "raw", "rationale", "by", "at");

    public Task AddAsync(ResponseRating r, CancellationToken ct) =>
        _insert.ExecuteAsync(ct, r.DatasetId, r.ResponseId, r.Aspect, r.Value, r.Raw, r.Rationale, r.RatedBy, r.RatedAt);

    public void Dispose() => _insert.Dispose();
}
