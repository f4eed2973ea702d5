using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage.Checks;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Import;

/// <summary>A sample an import writes or found: its row id once it has one (a sample written later in the same batch has none yet).</summary>
internal sealed class SampleRef(long id = 0, string? recordId = null)
{
    private long _id = id;
    private SampleRef? _sameAs;

    public long Id
    {
        get => _sameAs?.Id ?? _id;
        set => _id = value;
    }

    public string? RecordId { get; } = recordId;

    /// <summary>This record's sample is another's (it repeated that one's image, prompt and answer).</summary>
    public void Becomes(SampleRef other) => _sameAs = other;
}

/// <summary>
/// A record whose sample is already in the dataset (the same source record, or the same image, prompt and answer
/// under another id) brings the responses that sample lacks: compared after the normalisation the checks use
/// (case, spacing and punctuation aside), each added with its provenance (which file brought it), its pairs and
/// their checks. Repeats are counted, never added, so importing a file again adds nothing.
/// </summary>
internal sealed class SampleMerger(int datasetId, string sourceFile, string method)
{
    private readonly string _mergedFrom = JsonSerializer.Serialize(new { mergedFrom = sourceFile });

    public async Task MergeAsync(BpoDbContext db, BulkInserter insert, IReadOnlyList<(ImportedSample Sample, SampleRef Target)> merges,
        ImportSummary summary, DateTime now, Func<Response, IReadOnlyList<ImportedRating>?, Task> insertRatings, Func<long, long, Task> recheck, CancellationToken ct)
    {
        if (merges.Count == 0) return;
        var ids = merges.Select(m => m.Target.Id).Distinct().ToList();
        var existing = (await db.Responses.AsNoTracking().Where(r => ids.Contains(r.SampleId)).ToListAsync(ct)).ToLookup(r => r.SampleId);
        var known = ids.ToDictionary(id => id, id => existing[id].Select(Identity).ToHashSet());
        var current = ids.ToDictionary(id => id, id => existing[id].Where(r => r.PreviousVersionId is null).ToList());
        var touched = new SortedSet<long>();
        foreach (var (imported, target) in merges)
        {
            summary.SamplesPresent++;
            var added = new List<Response>();
            foreach (var r in imported.Responses)
            {
                if (!known[target.Id].Add((r.Kind.IsPositive(), TextProfile.Normalize(r.Text))))
                {
                    summary.RepeatedResponses++;
                    continue;
                }
                var response = new Response
                {
                    SampleId = target.Id, Text = r.Text, Kind = r.Kind, Score = r.Score, CreatedAt = now,
                    Provenance = new GeneratorProvenance { Method = method, Model = r.Model, ExtraJson = r.ExtraJson, ParametersJson = _mergedFrom },
                };
                response.Id = await insert.InsertResponseAsync(response, ct);
                await insertRatings(response, r.Ratings);
                added.Add(response);
            }
            if (added.Count == 0) continue;
            summary.NewResponses += added.Count;
            foreach (var pair in PairBuilder.BuildNew(datasetId, target.Id, current[target.Id], added))
                await insert.InsertPairAsync(pair, ct);
            current[target.Id].AddRange(added);
            touched.Add(target.Id);
        }
        foreach (var (from, to) in Runs(touched))
            await recheck(from, to);
    }

    private static (bool Positive, string Text) Identity(Response r) => (r.Kind.IsPositive(), TextProfile.Normalize(r.Text));

    // Contiguous sample ids are checked in one pass each.
    private static IEnumerable<(long From, long To)> Runs(SortedSet<long> ids)
    {
        long? start = null, last = null;
        foreach (var id in ids)
        {
            if (last is { } l && id == l + 1) { last = id; continue; }
            if (start is { } s) yield return (s, last!.Value);
            start = last = id;
        }
        if (start is { } first) yield return (first, last!.Value);
    }
}
