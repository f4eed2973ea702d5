using System.Runtime.CompilerServices;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

public sealed record ExportText(long ResponseId, string Text, ResponseKind Kind, double? Score, string? Method, bool Edited);

public sealed record ExportPair(long PairId, ExportText Chosen, ExportText Rejected);

/// <summary>One sample with the pairs that survive the negative selection, in pair order.</summary>
public sealed record ExportSample(long SampleId, string? RecordId, bool IdGenerated, int? Turn, string Prompt, string? OriginalPrompt,
    string? ImageHash, string? ImageProblem, string? ImagePath, IReadOnlyList<ExportPair> Pairs);

/// <summary>
/// Streams the pairs of an approved version (its frozen texts) or, for a draft, the currently accepted pairs, grouped
/// by sample. Never holds more than one sample's pairs in memory.
/// </summary>
public sealed class ExportSource(IDbContextFactory<BpoDbContext> dbFactory)
{
    private sealed record Row(long PairId, long SampleId, string? RecordId, bool IdGenerated, int? Turn, string Prompt, string? OriginalPrompt,
        string? ImageHash, string? ImageProblem, string? ImagePath,
        long ChosenId, string ChosenText, ResponseKind ChosenKind, double? ChosenScore, string? ChosenMethod, bool ChosenEdited,
        long RejectedId, string RejectedText, ResponseKind RejectedKind, double? RejectedScore, string? RejectedMethod, bool RejectedEdited);

    public async Task<int> CountPairsAsync(int datasetId, int? versionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return versionId is { } v
            ? await db.DatasetVersionItems.CountAsync(i => i.DatasetVersionId == v, ct)
            : await db.Pairs.CountAsync(p => p.DatasetId == datasetId && p.Status == PairStatus.Accepted, ct);
    }

    public async IAsyncEnumerable<ExportSample> ReadAsync(int datasetId, int? versionId, ExportOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var lookup = await dbFactory.CreateDbContextAsync(ct);
        db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
        var rows = versionId is { } v ? VersionRows(db, v) : DraftRows(db, datasetId);
        var group = new List<Row>();
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            if (group.Count > 0 && group[0].SampleId != row.SampleId)
            {
                yield return await ToSampleAsync(lookup, group, options, ct);
                group.Clear();
            }
            group.Add(row);
        }
        if (group.Count > 0) yield return await ToSampleAsync(lookup, group, options, ct);
    }

    private static IQueryable<Row> VersionRows(BpoDbContext db, int versionId) =>
        from i in db.DatasetVersionItems
        where i.DatasetVersionId == versionId
        join s in db.Samples on i.SampleId equals s.Id
        join c in db.Responses on i.ChosenResponseId equals c.Id
        join r in db.Responses on i.RejectedResponseId equals r.Id
        orderby i.SampleId, i.PairId
        select new Row(i.PairId, i.SampleId, s.Source.RecordId, s.Source.IdGenerated, s.Source.Turn, i.Prompt, s.Source.OriginalPrompt,
            i.ImageHash, s.ImageProblem, s.Source.ImagePath,
            c.Id, i.ChosenText, c.Kind, c.Score, c.Provenance.Method, c.PreviousVersionId != null,
            r.Id, i.RejectedText, r.Kind, r.Score, r.Provenance.Method, r.PreviousVersionId != null);

    private static IQueryable<Row> DraftRows(BpoDbContext db, int datasetId) =>
        from p in db.Pairs
        where p.DatasetId == datasetId && p.Status == PairStatus.Accepted
        join s in db.Samples on p.SampleId equals s.Id
        join c in db.Responses on p.ChosenResponseId equals c.Id
        join r in db.Responses on p.RejectedResponseId equals r.Id
        orderby p.SampleId, p.Id
        select new Row(p.Id, p.SampleId, s.Source.RecordId, s.Source.IdGenerated, s.Source.Turn, s.Prompt, s.Source.OriginalPrompt,
            s.ImageHash, s.ImageProblem, s.Source.ImagePath,
            c.Id, c.Text, c.Kind, c.Score, c.Provenance.Method, c.PreviousVersionId != null,
            r.Id, r.Text, r.Kind, r.Score, r.Provenance.Method, r.PreviousVersionId != null);

    private static async Task<ExportSample> ToSampleAsync(BpoDbContext lookup, List<Row> rows, ExportOptions options, CancellationToken ct)
    {
        var pairs = new List<ExportPair>(rows.Count);
        foreach (var row in rows)
            pairs.Add(new ExportPair(row.PairId,
                await TextAsync(lookup, row.ChosenId, row.ChosenText, row.ChosenKind, row.ChosenScore, row.ChosenMethod, row.ChosenEdited, options, ct),
                await TextAsync(lookup, row.RejectedId, row.RejectedText, row.RejectedKind, row.RejectedScore, row.RejectedMethod, row.RejectedEdited, options, ct)));
        var first = rows[0];
        return new ExportSample(first.SampleId, first.RecordId, first.IdGenerated, first.Turn, first.Prompt, first.OriginalPrompt,
            first.ImageHash, first.ImageProblem, first.ImagePath, NegativePicker.Pick(pairs, options.Negatives));
    }

    // An edited response points at what it replaced; the chain's root holds the generator's method and text.
    private static async Task<ExportText> TextAsync(BpoDbContext lookup, long id, string text, ResponseKind kind, double? score, string? method, bool edited,
        ExportOptions options, CancellationToken ct)
    {
        if (!edited) return new ExportText(id, text, kind, score, method, false);
        var current = await lookup.Responses.AsNoTracking().FirstAsync(r => r.Id == id, ct);
        while (current.PreviousVersionId is { } previous) current = await lookup.Responses.AsNoTracking().FirstAsync(r => r.Id == previous, ct);
        return new ExportText(id, options.UseEditedTexts ? text : current.Text, kind, score, current.Provenance.Method, true);
    }
}

public static class NegativePicker
{
    /// <summary>All pairs; or per chosen response, the first negative of each method; or its best-scored negative (ties: first).</summary>
    public static IReadOnlyList<ExportPair> Pick(IReadOnlyList<ExportPair> pairs, NegativeSelection selection) => selection switch
    {
        NegativeSelection.All => pairs,
        NegativeSelection.OnePerMethod => pairs.GroupBy(p => (p.Chosen.ResponseId, p.Rejected.Method ?? p.Rejected.Kind.ToWire())).Select(g => g.First()).ToList(),
        NegativeSelection.BestRated => pairs.GroupBy(p => p.Chosen.ResponseId)
            .Select(g => g.OrderByDescending(p => p.Rejected.Score ?? double.NegativeInfinity).ThenBy(p => p.PairId).First()).ToList(),
        _ => throw new ArgumentOutOfRangeException(nameof(selection)),
    };
}
