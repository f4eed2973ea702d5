using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Core.Triage.Checks;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Triage;

public class PairCheckerTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreServices _core = null!;
    private TriageDataset _data = null!;

    private PairChecker Checker => _core.Get<PairChecker>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _data = await TriageDataset.ImportAsync(_core);
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task Import_StoresEachPairsFindings_AsThePairsAreCreated()
    {
        var findings = await FindingsAsync();
        Assert.Contains((_data.PairByRecord["identical"], CheckIds.Identical, FindingSeverity.Block), findings);
        Assert.Contains((_data.PairByRecord["placeholder"], CheckIds.Placeholder, FindingSeverity.Block), findings);
        Assert.Contains((_data.PairByRecord["missing"], CheckIds.MissingImage, FindingSeverity.Block), findings);
        Assert.Contains((_data.PairByRecord["refusal"], CheckIds.Refusal, FindingSeverity.Warn), findings);
        Assert.Contains((_data.PairByRecord["dup-2"], CheckIds.Duplicate, FindingSeverity.Warn), findings);
        Assert.DoesNotContain(findings, f => f.PairId == _data.PairByRecord["dup-1"]); // the first of two copies is not the duplicate
        Assert.All(TriageDataset.CleanRecords, r => Assert.DoesNotContain(findings, f => f.PairId == _data.PairByRecord[r]));
    }

    [Fact]
    public async Task Recompute_GivesTheSameFindings_CountsThem_AndIsForLeadsOnly()
    {
        var before = await FindingsAsync();
        await using (var db = await NewDbAsync()) await db.PairFindings.ExecuteDeleteAsync();

        var summary = await Checker.RecomputeAsync(_data.Id, TestPrincipals.Lead);

        Assert.Equal(10, summary.Pairs);
        Assert.Equal(before.Order(), (await FindingsAsync()).Order());
        Assert.Equal(1, summary.Findings[CheckIds.Duplicate]);
        Assert.Equal(before.Count(f => f.CheckId == CheckIds.Identical), summary.Findings[CheckIds.Identical]);
        Assert.Equal(Checker.Checks.Count, summary.Findings.Count);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Checker.RecomputeAsync(_data.Id, TestPrincipals.Annotator));
    }

    [Fact]
    public async Task SetSeverity_ChangesStoredFindings_AndWhatCountsAsBlocking()
    {
        var refusal = _data.PairByRecord["refusal"];
        var unblocked = await UnblockedAsync();
        Assert.Contains(refusal, unblocked);
        Assert.DoesNotContain(_data.PairByRecord["identical"], unblocked);

        await Checker.SetSeverityAsync(_data.Id, CheckIds.Refusal, FindingSeverity.Block, TestPrincipals.Lead);

        Assert.DoesNotContain(refusal, await UnblockedAsync());
        Assert.Equal(FindingSeverity.Block, (await Checker.CatalogAsync(_data.Id)).Single(c => c.Id == CheckIds.Refusal).Severity);
        await Checker.RecomputeAsync(_data.Id, TestPrincipals.Lead);
        Assert.Contains((refusal, CheckIds.Refusal, FindingSeverity.Block), await FindingsAsync()); // new findings take the dataset's severity
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Checker.SetSeverityAsync(_data.Id, CheckIds.Refusal, FindingSeverity.Info, TestPrincipals.Annotator));
        await Assert.ThrowsAsync<ArgumentException>(() => Checker.SetSeverityAsync(_data.Id, "no-such-check", FindingSeverity.Info, TestPrincipals.Lead));
    }

    [Fact]
    public async Task Edit_ChecksThePairAgain_InTheSameTransaction()
    {
        var pairId = _data.PairByRecord["clean-1"];
        var reviews = _core.Get<ReviewService>();
        var annotator = new Reviewer("ann-id", "ann");
        var pair = (await _core.Get<ReviewQueries>().LoadAsync(pairId))!;

        var edited = await reviews.EditAsync(pairId, pair.RowVersion, annotator, PairSide.Rejected, pair.Chosen.Text.ToUpperInvariant());
        Assert.Contains((pairId, CheckIds.Identical, FindingSeverity.Block), await FindingsAsync());

        await reviews.EditAsync(pairId, edited.RowVersion, annotator, PairSide.Rejected, "A green circle is above the blue square.");
        Assert.DoesNotContain(await FindingsAsync(), f => f.PairId == pairId);
    }

    [Fact]
    public async Task FindingFilter_ServesOnlyMatchingPairs_InTheReviewQueue()
    {
        var queue = _core.Get<ReviewQueries>();
        var next = await queue.NextAsync(_data.Id, "ann-id", new PairFilter(Finding: CheckIds.Placeholder));
        Assert.Equal(_data.PairByRecord["placeholder"], next!.PairId);
        var clean = await queue.NextAsync(_data.Id, "ann-id", new PairFilter(NoBlocking: true));
        Assert.Equal(_data.PairByRecord["clean-1"], clean!.PairId);
        Assert.Null(await queue.NextAsync(_data.Id, "ann-id", new PairFilter(Finding: CheckIds.Repetition)));
    }

    [Fact]
    public async Task ChecksJob_RunsToCompletion_AndResumesAfterItsCursor()
    {
        var job = await _core.Get<PairChecksJobs>().StartAsync(_data.Id, TestPrincipals.Lead);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _core.Get<PairChecksJobs>().StartAsync(_data.Id, TestPrincipals.Annotator));
        var cursor = _data.PairByRecord["missing"]; // as if the job had committed up to here before a crash
        await using (var db = await NewDbAsync())
        {
            await db.PairFindings.ExecuteDeleteAsync();
            await db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.ResumeCursor, cursor).SetProperty(j => j.ItemsTotal, 10));
        }

        await _core.Get<Core.Jobs.JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var check = await NewDbAsync();
        var done = await check.Jobs.SingleAsync(j => j.Id == job.Id);
        Assert.Equal(Core.Jobs.JobStatus.Completed, done.Status);
        var findings = await FindingsAsync();
        Assert.Contains(findings, f => f.PairId == _data.PairByRecord["refusal"]);
        Assert.DoesNotContain(findings, f => f.PairId <= cursor); // those were the crashed run's, not this one's
        Assert.Equal(await check.Pairs.CountAsync(p => p.DatasetId == _data.Id && p.Id > cursor), done.ItemsDone);
    }

    private async Task<List<long>> UnblockedAsync()
    {
        await using var db = await NewDbAsync();
        return await db.Matching(_data.Id, new PairFilter(NoBlocking: true), null).Select(p => p.Id).ToListAsync();
    }

    private async Task<List<(long PairId, string CheckId, FindingSeverity Severity)>> FindingsAsync()
    {
        await using var db = await NewDbAsync();
        return [.. (await db.PairFindings.Select(f => new { f.PairId, f.CheckId, f.Severity }).ToListAsync()).Select(f => (f.PairId, f.CheckId, f.Severity))];
    }

    private Task<BpoDbContext> NewDbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}

public class PairCheckerTestsOnPostgres : PairCheckerTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
