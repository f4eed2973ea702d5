using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Datasets;

public sealed record DatasetSummary(int Id, string Name, string? Description, DateTime CreatedAt, int Samples, int Pairs, int Reviewed)
{
    public double ReviewedPercent => Pairs == 0 ? 0 : 100.0 * Reviewed / Pairs;
}

public sealed record ResponseView(long Id, ResponseKind Kind, string Text, string? Method);

public sealed record SampleCard(long Id, string? ImageHash, string? ImageProblem, string Prompt, string? SourceRecordId, int? Turn, IReadOnlyList<ResponseView> Responses,
    List<string>? MoreImageHashes = null)
{
    public int ImageCount => ImageList.All(ImageHash, MoreImageHashes).Count;
}

public sealed record Page<T>(IReadOnlyList<T> Items, int Total);

/// <summary>Read models for the dataset pages; counts go over narrow indexed columns only.</summary>
public sealed class DatasetQueries(IDbContextFactory<BpoDbContext> dbFactory)
{
    public async Task<IReadOnlyList<DatasetSummary>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasets = await db.Datasets.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
        var samples = await db.Samples.GroupBy(s => s.DatasetId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var pairs = await db.Pairs.GroupBy(p => new { p.DatasetId, p.Status })
            .Select(g => new { g.Key.DatasetId, Pending = g.Key.Status == PairStatus.Pending, Count = g.Count() }).ToListAsync(ct);
        return datasets.Select(d => new DatasetSummary(d.Id, d.Name, d.Description, d.CreatedAt,
            samples.GetValueOrDefault(d.Id),
            pairs.Where(p => p.DatasetId == d.Id).Sum(p => p.Count),
            pairs.Where(p => p.DatasetId == d.Id && !p.Pending).Sum(p => p.Count))).ToList();
    }

    /// <summary>A dataset's id by its name (or its id written out), as the CLI and scripts name datasets; refused when there is none.</summary>
    public async Task<int> IdByNameAsync(string nameOrId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = int.TryParse(nameOrId, out var number) ? number : -1;
        return await db.Datasets.Where(d => d.Name == nameOrId || d.Id == id).OrderBy(d => d.Name == nameOrId ? 0 : 1).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"There is no dataset '{nameOrId}'.");
    }

    public async Task<Dataset?> FindAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
    }

    public async Task<Page<SampleCard>> SamplesAsync(int datasetId, int page, int pageSize, string? search = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Samples.AsNoTracking().Where(s => s.DatasetId == datasetId);
        if (!string.IsNullOrWhiteSpace(search))
            query = query.Where(s => EF.Functions.Like(s.Prompt, LikePattern.Containing(search.Trim()), LikePattern.Escape));
        var total = await query.CountAsync(ct);
        var items = await query.OrderBy(s => s.Id).Skip(page * pageSize).Take(pageSize)
            .Select(s => new SampleCard(s.Id, s.ImageHash, s.ImageProblem, s.Prompt, s.Source.RecordId, s.Source.Turn,
                s.Responses.Where(r => r.PreviousVersionId == null).OrderBy(r => r.Id)
                    .Select(r => new ResponseView(r.Id, r.Kind, r.Text, r.Provenance.Method)).ToList(), s.MoreImageHashes))
            .ToListAsync(ct);
        return new Page<SampleCard>(items, total);
    }
}
