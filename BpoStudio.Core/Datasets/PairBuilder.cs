namespace BpoStudio.Core.Datasets;

/// <summary>Every chosen-side response (ground truth, paraphrase) paired with every negative of the same sample.</summary>
public static class PairBuilder
{
    public static IEnumerable<PreferencePair> Build(int datasetId, long sampleId, IReadOnlyCollection<Response> responses)
    {
        foreach (var chosen in responses.Where(r => r.Kind.IsPositive() && r.PreviousVersionId is null))
            foreach (var rejected in responses.Where(r => !r.Kind.IsPositive() && r.PreviousVersionId is null))
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
