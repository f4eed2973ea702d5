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
        ImportSummary summary, DateTime now, Func<IEnumerable<(Response, IReadOnlyList<ImportedRating>?)>, Task> insertRatings, Func<long, long, Task> recheck, CancellationToken ct)
    {
        if (merges.Count == 0) return;
        var ids = merges.Select(m => m.Target.Id).Distinct().ToList();
        var existing = (await db.Responses.AsNoTracking().Where(r => ids.Contains(r.SampleId)).ToListAsync(ct)).ToLookup(r => r.SampleId);
        var known = ids.ToDictionary(id => id, id => existing[id].Select(Identity).ToHashSet());
        var additions = new List<(long SampleId, List<(Response Response, IReadOnlyList<ImportedRating>? Rated)> Added)>();
        foreach (var (imported, target) in merges)
        {
            summary.SamplesPresent++;
            var added = new List<(Response, IReadOnlyList<ImportedRating>?)>();
            foreach (var r in imported.Responses)
            {
                if (!known[target.Id].Add((r.Kind.IsPositive(), TextProfile.Normalize(r.Text))))
                {
                    summary.RepeatedResponses++;
                    continue;
                }
                added.Add((new Response
                {
                    SampleId = target.Id, Text = r.Text, Kind = r.Kind, Score = r.Score, CreatedAt = now,
                    Provenance = new GeneratorProvenance { Method = method, Model = r.Model, ExtraJson = r.ExtraJson, ParametersJson = _mergedFrom },
                }, r.Ratings));
            }
            if (added.Count == 0) continue;
            summary.NewResponses += added.Count;
            additions.Add((target.Id, added));
        }
        if (additions.Count == 0) return;

        var all = additions.SelectMany(a => a.Added).ToList();
        await insert.InsertResponsesAsync([.. all.Select(a => a.Response)], ct);
        await insertRatings(all);
        // Pairs in the order the records came, each record's new responses paired with what its sample had by then.
        var current = ids.ToDictionary(id => id, id => existing[id].Where(r => r.PreviousVersionId is null).ToList());
        var pairs = new List<PreferencePair>();
        foreach (var (sampleId, added) in additions)
        {
            var responses = added.Select(a => a.Response).ToList();
            pairs.AddRange(PairBuilder.BuildNew(datasetId, sampleId, current[sampleId], responses));
            current[sampleId].AddRange(responses);
        }
        if (await insert.InsertPairsAsync(pairs, ct) == 0) return; // their pairs' findings are as they were
        foreach (var (from, to) in Runs(new SortedSet<long>(additions.Select(a => a.SampleId))))
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
