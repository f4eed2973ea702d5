namespace BpoStudio.Core.Datasets;

/// <summary>
/// Every chosen-side response (ground truth, paraphrase) paired with every negative of the same sample. An image
/// pair's rejected side pairs only with the ground truth it repeats: the two differ in their image, not their text.
/// </summary>
public static class PairBuilder
{
    public static IEnumerable<PreferencePair> Build(int datasetId, long sampleId, IReadOnlyCollection<Response> responses)
    {
        foreach (var chosen in responses.Where(r => r.Kind.IsPositive() && r.PreviousVersionId is null))
            foreach (var rejected in responses.Where(r => !r.Kind.IsPositive() && r.PreviousVersionId is null))
            {
                if (rejected.Kind.IsImagePair() && (chosen.Kind != ResponseKind.Gt || chosen.Text != rejected.Text)) continue;
                yield return new PreferencePair
                {
                    DatasetId = datasetId,
                    SampleId = sampleId,
                    ChosenResponseId = chosen.Id,
                    RejectedResponseId = rejected.Id,
                    Status = PairStatus.Pending,
                };
            }
    }

    /// <summary>Only the pairs that involve a newly added response: new positives with every negative, old positives with new negatives.</summary>
    public static IEnumerable<PreferencePair> BuildNew(int datasetId, long sampleId, IReadOnlyCollection<Response> existing, IReadOnlyCollection<Response> added)
    {
        // Union by reference: EF fix-up may already have put the added responses into the sample's collection.
        var all = existing.Where(r => r.PreviousVersionId is null).Union(added).ToList();
        var fresh = added.Select(r => r.Id).ToHashSet();
        return Build(datasetId, sampleId, all).Where(p => fresh.Contains(p.ChosenResponseId) || fresh.Contains(p.RejectedResponseId));
    }
}
