using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Datasets;

/// <summary>
/// The dashboard's and triage overview's tallies read a large dataset in id ranges on several connections at once;
/// whatever the split, every pair is counted once, as a plain GROUP BY counts it.
/// </summary>
public class NegativeTalliesTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreServices _core = null!;

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync(provider: Provider);

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task ADatasetWhoseIdsSpanManyRanges_IsTalliedPairForPair()
    {
        var dataset = await _core.SeedDemoAsync();
        await using (var db = await NewDbAsync())
        {
            // More pairs far above the demo's ids, so the ids span several ranges, some of them empty.
            var template = await db.Pairs.Where(p => p.DatasetId == dataset).OrderBy(p => p.Id).ToListAsync();
            var statuses = new[] { PairStatus.Accepted, PairStatus.Rejected, PairStatus.Flagged, PairStatus.Pending };
            for (var i = 0; i < 40; i++)
            {
                var from = template[i % template.Count];
                db.Pairs.Add(new PreferencePair
                {
                    Id = 250_000 + i * 7_919, DatasetId = dataset, SampleId = from.SampleId, ChosenResponseId = from.ChosenResponseId,
                    RejectedResponseId = from.RejectedResponseId, Status = statuses[i % statuses.Length],
                });
            }
            await db.SaveChangesAsync();
        }

        var tallies = await NegativeTallies.CountAsync(_core.Get<IDbContextFactory<BpoDbContext>>(), dataset, default);

        await using var check = await NewDbAsync();
        var expected = await (from p in check.Pairs
                              where p.DatasetId == dataset
                              join r in check.Responses on p.RejectedResponseId equals r.Id
                              group p by new { r.Kind, r.Provenance.Method, p.Status, Edited = r.PreviousVersionId != null } into g
                              select new { g.Key.Kind, g.Key.Method, g.Key.Status, g.Key.Edited, Count = g.Count() }).ToListAsync();
        Assert.Equal(
            expected.Select(e => (e.Kind, (string?)e.Method, e.Status, e.Edited, e.Count)).Order(),
            tallies.Select(t => (t.Kind, t.Method, t.Status, t.Edited, t.Count)).Order());
        Assert.Equal(await check.Pairs.CountAsync(p => p.DatasetId == dataset), tallies.Sum(t => t.Count));
        Assert.Empty(await NegativeTallies.CountAsync(_core.Get<IDbContextFactory<BpoDbContext>>(), dataset + 1000, default));
    }

    private Task<BpoDbContext> NewDbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}

public class NegativeTalliesTestsOnPostgres : NegativeTalliesTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
