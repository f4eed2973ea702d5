using System.Data.Common;

namespace BpoStudio.Core.Datasets;

/// <summary>
/// Runs the automatic pair checks on the pairs of a range of samples inside the caller's transaction, so whatever
/// creates or edits pairs (import, generation, review edits) leaves their findings current in the same commit.
/// </summary>
public interface IPairRecheck
{
    Task RecheckSamplesAsync(DbConnection connection, DbTransaction transaction, int datasetId, long firstSampleId, long lastSampleId, CancellationToken ct);
}
