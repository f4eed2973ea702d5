using System.Data.Common;
using BpoStudio.Core.Data;

namespace BpoStudio.Core.Feedback;

/// <summary>Feedback's way for a bulk writer (an import) to add ratings inside its own transaction; Feedback owns the table.</summary>
internal sealed class RatingWriter(DbConnection connection) : IDisposable
{
    private readonly MultiRowInsert _insert = new(connection, null, "ResponseRatings",
        ["DatasetId", "ResponseId", "Aspect", "Value", "Raw", "Rationale", "RatedBy", "RatedAt"]);

    /// <summary>The caller's transaction the next ratings are written in.</summary>
    public DbTransaction? Transaction { set => _insert.Transaction = value; }

    public Task AddAsync(IEnumerable<ResponseRating> ratings, CancellationToken ct) =>
        _insert.InsertAsync([.. ratings.Select(r => new object?[] { r.DatasetId, r.ResponseId, r.Aspect, r.Value, r.Raw, r.Rationale, r.RatedBy, r.RatedAt })], ct);

    public void Dispose() => _insert.Dispose();
}
