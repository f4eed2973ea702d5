using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Triage;

/// <summary>Spot checks over the demo dataset: 139 samples, each with model-free negatives.</summary>
public class SpotCheckServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly System.Security.Claims.ClaimsPrincipal Ann = TestPrincipals.Reviewer("ann-id", "ann@example.test");
    private CoreServices _core = null!;
    private int _datasetId;

    private SpotCheckService SpotChecks => _core.Get<SpotCheckService>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task Draw_IsSeeded_Reproducible_AndTakesFromEveryStratum()
    {
        var request = new SpotCheckRequest(new PairFilter(), SampleSize: 20, Seed: 7);
        var first = await SpotChecks.DrawAsync(_datasetId, request, TestPrincipals.Lead);
        var second = await SpotChecks.DrawAsync(_datasetId, request, TestPrincipals.Lead);
        var other = await SpotChecks.DrawAsync(_datasetId, request with { Seed = 8 }, TestPrincipals.Lead);

        var a = await ItemsAsync(first.Id);
        Assert.Equal(20, a.Count);
        Assert.Equal(a, await ItemsAsync(second.Id));
        Assert.NotEqual(a, await ItemsAsync(other.Id));
        var report = await SpotChecks.ReportAsync(first.Id);
        Assert.All(report.Strata, s => Assert.True(s.Sampled >= 1));
        Assert.Equal(20, report.Strata.Sum(s => s.Sampled));
        Assert.All(report.Strata, s => Assert.Equal((0, 0.0, 1.0), (s.Reviewed, s.Low, s.High)));
    }

    [Fact]
    public async Task UnderOverlapTwo_ASampledPairCountsAsReviewedByThePeopleWhoDecidedIt()
    {
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Datasets.ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));
        var check = await SpotChecks.DrawAsync(_datasetId, new SpotCheckRequest(new PairFilter(), 4, 5, Stratified: false), TestPrincipals.Lead);
        var sampled = await ItemsAsync(check.Id);
        var reviews = _core.Get<ReviewService>();
        var queries = _core.Get<ReviewQueries>();
        var bob = TestPrincipals.Reviewer("bob-id", "bob@example.test");
        await reviews.AcceptAsync(sampled[0], (await queries.LoadAsync(sampled[0]))!.RowVersion, Ann);
        await reviews.RejectAsync(sampled[1], (await queries.LoadAsync(sampled[1]))!.RowVersion, Ann, "Other");
        await reviews.AcceptAsync(sampled[2], (await queries.LoadAsync(sampled[2]))!.RowVersion, Ann);
        await reviews.AcceptAsync(sampled[2], (await queries.LoadAsync(sampled[2]))!.RowVersion, bob);

        var stratum = Assert.Single((await SpotChecks.ReportAsync(check.Id)).Strata);
        Assert.Equal((4, 3, 2), (stratum.Sampled, stratum.Reviewed, stratum.Accepted)); // one of two decisions is still a review
    }

    [Fact]
    public async Task TheQueue_ServesTheSampleFirst()
    {
        var check = await SpotChecks.DrawAsync(_datasetId, new SpotCheckRequest(new PairFilter(), 5, 3, Stratified: false), TestPrincipals.Lead);
        var sampled = await ItemsAsync(check.Id);
        var queue = _core.Get<ReviewQueries>();
        var reviews = _core.Get<ReviewService>();
        for (var i = 0; i < sampled.Count; i++)
        {
            var next = (await queue.NextAsync(_datasetId, Ann.UserId()))!;
            Assert.Contains(next.PairId, sampled);
            await reviews.AcceptAsync(next.PairId, next.RowVersion, Ann);
        }
        Assert.DoesNotContain((await queue.NextAsync(_datasetId, Ann.UserId()))!.PairId, sampled);
    }

    [Fact]
    public async Task AcceptRest_WaitsForTheLowerBound_ThenAcceptsTheStratumOutsideTheSample_WithTheFigures()
    {
        var check = await SpotChecks.DrawAsync(_datasetId, new SpotCheckRequest(new PairFilter(), 30, 11, Stratified: false, Threshold: 0.85), TestPrincipals.Lead);
        var sampled = await ItemsAsync(check.Id);
        Assert.Equal(30, sampled.Count);
        var reviews = _core.Get<ReviewService>();
        var queries = _core.Get<ReviewQueries>();

        foreach (var pairId in sampled.Take(10))
            await reviews.AcceptAsync(pairId, (await queries.LoadAsync(pairId))!.RowVersion, Ann);
        var early = Assert.Single((await SpotChecks.ReportAsync(check.Id)).Strata);
        Assert.Equal((10, 10), (early.Reviewed, early.Accepted));
        Assert.False(early.MeetsThreshold); // 10 of 10: lower bound 0.72
        Assert.Equal(0.7225, early.Low, 4);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => SpotChecks.AcceptRestAsync(check.Id, early.Stratum, TestPrincipals.Lead));

        foreach (var pairId in sampled.Skip(10))
            await reviews.AcceptAsync(pairId, (await queries.LoadAsync(pairId))!.RowVersion, Ann);
        var ready = Assert.Single((await SpotChecks.ReportAsync(check.Id)).Strata);
        Assert.True(ready.MeetsThreshold); // 30 of 30: lower bound 0.886
        var pending = await CountAsync(PairStatus.Pending);
        Assert.Equal(pending, ready.Remaining);

        var accepted = await SpotChecks.AcceptRestAsync(check.Id, ready.Stratum, TestPrincipals.Lead);

        Assert.Equal(pending, accepted.Applied);
        Assert.Equal(0, await CountAsync(PairStatus.Pending));
        Assert.Equal(accepted.BulkId, Assert.Single((await SpotChecks.ReportAsync(check.Id)).Strata).AcceptedByBulkId);
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var bulk = await db.BulkActions.SingleAsync();
        Assert.Equal(check.Id, bulk.SpotCheckId);
        Assert.Contains("30 of 30 sampled pairs accepted", bulk.Notes);
        Assert.Contains("30 of 30 sampled pairs accepted", (await db.AuditEntries.SingleAsync(a => a.Action == Core.Triage.TriageAudit.BulkApply)).Details);

        var version = await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, "first cut");
        Assert.StartsWith("first cut", version.Notes);
        Assert.Contains($"Bulk {bulk.Id}: {pending} pairs accepted on spot check {check.Id}", version.Notes);
        Assert.Contains("Wilson interval", version.Notes);
    }

    [Fact]
    public async Task Draw_RefusesAnEmptyPopulation_AndBadFigures()
    {
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => SpotChecks.DrawAsync(_datasetId, new SpotCheckRequest(new PairFilter(Method: "nothing"), 5, 1), TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => SpotChecks.DrawAsync(_datasetId, new SpotCheckRequest(new PairFilter(), 0, 1), TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => SpotChecks.DrawAsync(_datasetId, new SpotCheckRequest(new PairFilter(), 5, 1, Threshold: 1.5), TestPrincipals.Lead));
    }

    private async Task<int> CountAsync(PairStatus status)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Pairs.CountAsync(p => p.DatasetId == _datasetId && p.Status == status);
    }

    private async Task<List<long>> ItemsAsync(long spotCheckId)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.SpotCheckItems.Where(i => i.SpotCheckId == spotCheckId).OrderBy(i => i.PairId).Select(i => i.PairId).ToListAsync();
    }
}

public class SpotCheckServiceTestsOnPostgres : SpotCheckServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
