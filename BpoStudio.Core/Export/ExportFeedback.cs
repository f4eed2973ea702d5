using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Feedback;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

/// <summary>A confirmed error span as an export writes it.</summary>
public sealed record ExportedSpan(int Start, int Length, string Text, ErrorType Type, ErrorSeverity Severity);

/// <summary>A response's model, its place in the source record, its current ratings and its confirmed error spans, for formats that write them.</summary>
public sealed record ResponseFeedback(string? Model, int? SourceIndex, IReadOnlyList<RatingValue> Ratings, IReadOnlyList<ExportedSpan>? Spans = null)
{
    /// <summary>The rating the best-rated selection ranks by: one aspect's, or the mean of the rated aspects.</summary>
    public double? RatingFor(string aspect)
    {
        if (aspect == ExportOptions.MeanAspect)
        {
            var values = Ratings.Select(r => r.Value).OfType<double>().ToList();
            return values.Count == 0 ? null : values.Average();
        }
        return Ratings.FirstOrDefault(r => r.Aspect == aspect)?.Value;
    }
}

/// <summary>What a sample's record keeps beyond its pairs: its own extra fields and its responses' feedback.</summary>
public sealed record SampleFeedback(string? ExtraJson, IReadOnlyDictionary<long, ResponseFeedback> Responses);

/// <summary>
/// What every record of one export file shares about ratings: the aspects with their scales, and whether ratings are
/// written as strings. A trainer's loader (datasets over pyarrow) unifies one type per field across the file: a
/// number beside the source's "4" makes it refuse the file, and an aspect one record lacks becomes null in it.
/// </summary>
public sealed record RatingScheme(IReadOnlyList<RatingScale> Aspects, bool AsStrings)
{
    public static readonly RatingScheme None = new([], AsStrings: true);

    /// <summary>The dataset's aspects; strings unless every rating a source wrote was a number (VLFeedback writes "4").</summary>
    public static async Task<RatingScheme> LoadAsync(BpoDbContext db, int datasetId, CancellationToken ct)
    {
        var aspects = await db.RatingAspects.AsNoTracking().Where(a => a.DatasetId == datasetId).OrderBy(a => a.Id)
            .Select(a => new RatingScale(a.Name, a.Min, a.Max)).ToListAsync(ct);
        var anyRaw = await db.ResponseRatings.AnyAsync(r => r.DatasetId == datasetId && r.Raw != null, ct);
        var anyString = await db.ResponseRatings.AnyAsync(r => r.DatasetId == datasetId && r.Raw != null && r.Raw.StartsWith("\""), ct);
        return new RatingScheme(aspects, AsStrings: anyString || !anyRaw);
    }
}

public sealed record RatingScale(string Name, double Min, double Max);

/// <summary>
/// Reads the feedback of one range's samples in four queries. A version reads the ratings as they stood when it was
/// approved (ratings are append-only) and the spans frozen on its items, so feedback changed later does not change
/// what the version exports.
/// </summary>
internal static class ExportFeedback
{
    /// <param name="version">A version's id and approval time; null for the draft.</param>
    public static async Task<Dictionary<long, SampleFeedback>> LoadAsync(BpoDbContext lookup, int datasetId, (int Id, DateTime ApprovedAt)? version, SampleRange range, CancellationToken ct)
    {
        var responses = await lookup.Responses.AsNoTracking()
            .Where(r => r.Sample!.DatasetId == datasetId && r.SampleId >= range.From && r.SampleId < range.To)
            .Select(r => new { r.Id, r.SampleId, r.Provenance.Model, r.Provenance.ExtraJson }).ToListAsync(ct);
        var extras = await lookup.Samples.AsNoTracking().Where(s => s.DatasetId == datasetId && s.Id >= range.From && s.Id < range.To && s.Source.ExtraJson != null)
            .Select(s => new { s.Id, s.Source.ExtraJson }).ToDictionaryAsync(s => s.Id, s => s.ExtraJson, ct);
        var ids = responses.Select(r => r.Id).ToList();
        var ratings = await RatingService.CurrentAsync(lookup, ids, version?.ApprovedAt, ct);
        var spans = version is { Id: var versionId } ? await FrozenSpansAsync(lookup, versionId, range, ct)
            : (await lookup.ErrorSpans.AsNoTracking().Where(s => ids.Contains(s.ResponseId) && s.Status == SpanStatus.Confirmed).OrderBy(s => s.Start).ToListAsync(ct))
                .GroupBy(s => s.ResponseId).ToDictionary(g => g.Key, g => (IReadOnlyList<ExportedSpan>)[.. g.Select(s => new ExportedSpan(s.Start, s.Length, s.Text, s.Type, s.Severity))]);
        return responses.GroupBy(r => r.SampleId).ToDictionary(g => g.Key, g => new SampleFeedback(extras.GetValueOrDefault(g.Key),
            g.ToDictionary(r => r.Id, r => new ResponseFeedback(r.Model, SourceIndex(r.ExtraJson), ratings.GetValueOrDefault(r.Id) ?? [], spans.GetValueOrDefault(r.Id)))));
    }

    // The spans as approved, per rejected answer.
    private static async Task<Dictionary<long, IReadOnlyList<ExportedSpan>>> FrozenSpansAsync(BpoDbContext lookup, int versionId, SampleRange range, CancellationToken ct)
    {
        var frozen = await lookup.DatasetVersionItems.AsNoTracking()
            .Where(i => i.DatasetVersionId == versionId && i.SampleId >= range.From && i.SampleId < range.To && i.ErrorSpansJson != null)
            .Select(i => new { i.RejectedResponseId, i.ErrorSpansJson }).ToListAsync(ct);
        return frozen.DistinctBy(i => i.RejectedResponseId).ToDictionary(i => i.RejectedResponseId, i => (IReadOnlyList<ExportedSpan>)
            [.. FrozenSpans.Parse(i.ErrorSpansJson!).Select(s => new ExportedSpan(s.Start, s.Length, s.Text, s.Type, s.Severity))]);
    }

    // {"vlfeedback":{"index":2}}: where the import found the completion in its record.
    private static int? SourceIndex(string? extraJson)
    {
        if (extraJson is null || !extraJson.Contains("\"vlfeedback\"", StringComparison.Ordinal)) return null;
        using var json = JsonDocument.Parse(extraJson);
        return json.RootElement.TryGetProperty("vlfeedback", out var v) && v.TryGetProperty("index", out var i) && i.TryGetInt32(out var index) ? index : null;
    }
}
