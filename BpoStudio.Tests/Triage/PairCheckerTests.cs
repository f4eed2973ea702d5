using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Core.Triage.Checks;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Triage;

public class PairCheckerTests : TriageDatasetTests
{

    private PairChecker Checker => Core.Get<PairChecker>();

    [Fact]
    public async Task TheOverview_BlockingWarningsOnlyAndClean_AddUpToThePairs()
    {
        var overview = await Core.Get<TriageQueries>().OverviewAsync(Data.Id, TestPrincipals.Lead);
        await using var db = await NewDbAsync();
        var blocking = await db.Pairs.CountAsync(p => p.DatasetId == Data.Id && db.PairFindings.Any(f => f.PairId == p.Id && f.Severity == FindingSeverity.Block));
        var warnedOnly = await db.Pairs.CountAsync(p => p.DatasetId == Data.Id && db.PairFindings.Any(f => f.PairId == p.Id) && !db.PairFindings.Any(f => f.PairId == p.Id && f.Severity == FindingSeverity.Block));
        Assert.True(warnedOnly > 0, "the triage dataset has pairs with warnings only");
        Assert.Equal((blocking, warnedOnly), (overview.WithBlocking, overview.WithWarningsOnly));
        Assert.Equal(overview.Pairs, overview.WithBlocking + overview.WithWarningsOnly + overview.WithoutFindings);
    }

    [Fact]
    public async Task Import_StoresEachPairsFindings_AsThePairsAreCreated()
    {
        var findings = await FindingsAsync();
        Assert.Contains((Data.PairByRecord["identical"], CheckIds.Identical, FindingSeverity.Block), findings);
        Assert.Contains((Data.PairByRecord["placeholder"], CheckIds.Placeholder, FindingSeverity.Block), findings);
        Assert.Contains((Data.PairByRecord["missing"], CheckIds.MissingImage, FindingSeverity.Block), findings);
        Assert.Contains((Data.PairByRecord["refusal"], CheckIds.Refusal, FindingSeverity.Warn), findings);
        Assert.Contains((Data.PairByRecord["dup-2"], CheckIds.Duplicate, FindingSeverity.Warn), findings);
        Assert.DoesNotContain(findings, f => f.PairId == Data.PairByRecord["dup-1"]); // the first of two copies is not the duplicate
        Assert.All(TriageDataset.CleanRecords, r => Assert.DoesNotContain(findings, f => f.PairId == Data.PairByRecord[r]));
    }

    [Fact]
    public async Task Recompute_GivesTheSameFindings_CountsThem_AndIsForLeadsOnly()
    {
        var before = await FindingsAsync();
        await using (var db = await NewDbAsync()) await db.PairFindings.ExecuteDeleteAsync();

        var summary = await Checker.RecomputeAsync(Data.Id, TestPrincipals.Lead);

        Assert.Equal(10, summary.Pairs);
        Assert.Equal(before.Order(), (await FindingsAsync()).Order());
        Assert.Equal(1, summary.Findings[CheckIds.Duplicate]);
        Assert.Equal(before.Count(f => f.CheckId == CheckIds.Identical), summary.Findings[CheckIds.Identical]);
        Assert.Equal(Checker.Checks.Count + JudgeFindings.Defaults.Count, summary.Findings.Count); // every check, and the judge's two
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Checker.RecomputeAsync(Data.Id, TestPrincipals.Annotator));
    }

    [Fact]
    public async Task Recompute_InChunksOfTwo_FindsWhatItFindsInOne_DuplicatesAcrossChunksIncluded()
    {
        var before = await FindingsAsync();
        await using (var db = await NewDbAsync()) await db.PairFindings.ExecuteDeleteAsync();

        var summary = await SmallChunks(Core.Get<IEnumerable<IPairCheck>>()).RecomputeAsync(Data.Id, TestPrincipals.Lead);

        Assert.Equal(10, summary.Pairs);
        Assert.Equal(before.Order(), (await FindingsAsync()).Order());
        Assert.Equal(1, summary.Findings[CheckIds.Duplicate]); // dup-2's copy is the dataset's last pair, dup-1 five chunks before
    }

    [Fact]
    public async Task APairEditedAfterItsChunkWasRead_KeepsTheFindingsOfItsNewTexts()
    {
        // The edit lands while the recompute's reader is checking the chunk it has read (before the writer stores it),
        // as a reviewer's edit can while a lead's checks job runs.
        var pairId = Data.PairByRecord["clean-1"];
        var edit = new InterferingCheck(pairId, () =>
        {
            var loaded = Core.Get<ReviewQueries>().LoadAsync(pairId).GetAwaiter().GetResult()!;
            Core.Get<ReviewService>().EditAsync(pairId, loaded.RowVersion, TestPrincipals.Reviewer("ann-id", "ann"), PairSide.Rejected, loaded.Chosen.Text.ToUpperInvariant())
                .GetAwaiter().GetResult();
        });
        await SmallChunks([.. Core.Get<IEnumerable<IPairCheck>>(), edit]).RecomputeAsync(Data.Id, TestPrincipals.Lead);

        Assert.True(edit.Done);
        Assert.Contains((pairId, CheckIds.Identical, FindingSeverity.Block), await FindingsAsync()); // the rejected answer is now the chosen one in capitals
    }

    [Fact]
    public async Task APairAddedToTheLastChunkAfterItWasRead_KeepsItsFindings()
    {
        // An import adds a copy of an earlier record while the reader checks the last range, which has no upper end.
        long last;
        await using (var before = await NewDbAsync()) last = await before.Pairs.Where(p => p.DatasetId == Data.Id).MaxAsync(p => p.Id);
        var add = new InterferingCheck(last, () =>
        {
            using var db = Core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContext();
            TriageDataset.CopyRecordAsync(Core.Services, db, Data.Id, "dup-1", "dup-3").GetAwaiter().GetResult();
        });
        // Ten pairs in threes: the last range holds one pair and has no upper end, so the copy falls inside it.
        await SmallChunks([.. Core.Get<IEnumerable<IPairCheck>>(), add], size: 3).RecomputeAsync(Data.Id, TestPrincipals.Lead);

        Assert.True(add.Done);
        await using var db = await NewDbAsync();
        var copy = await db.Pairs.Where(p => p.DatasetId == Data.Id).MaxAsync(p => p.Id);
        Assert.True(copy > last);
        Assert.Contains(await FindingsAsync(), f => f.PairId == copy && f.CheckId == CheckIds.Duplicate);
    }

    private PairChecker SmallChunks(IEnumerable<IPairCheck> checks, int size = 2) =>
        new(Core.Get<IDbContextFactory<BpoDbContext>>(), checks, Core.Get<Core.Audit.AuditLog>(), TimeProvider.System) { ChunkSize = size };

    /// <summary>Fires nowhere; the first time it sees its pair it changes the dataset through another connection, committed at once.</summary>
    private sealed class InterferingCheck(long pairId, Action change) : IPairCheck
    {
        private int _done;
        public bool Done => _done == 1;
        public string Id => "test-interference";
        public string Description => "changes the dataset while the checks run";
        public FindingSeverity DefaultSeverity => FindingSeverity.Info;

        public string? Check(PairCheckInput pair)
        {
            if (pair.PairId == pairId && Interlocked.Exchange(ref _done, 1) == 0) change();
            return null;
        }
    }

    [Fact]
    public async Task SetSeverity_ChangesStoredFindings_AndWhatCountsAsBlocking()
    {
        var refusal = Data.PairByRecord["refusal"];
        var unblocked = await UnblockedAsync();
        Assert.Contains(refusal, unblocked);
        Assert.DoesNotContain(Data.PairByRecord["identical"], unblocked);

        await Checker.SetSeverityAsync(Data.Id, CheckIds.Refusal, FindingSeverity.Block, TestPrincipals.Lead);

        Assert.DoesNotContain(refusal, await UnblockedAsync());
        Assert.Equal(FindingSeverity.Block, (await Checker.CatalogAsync(Data.Id)).Single(c => c.Id == CheckIds.Refusal).Severity);
        await Checker.RecomputeAsync(Data.Id, TestPrincipals.Lead);
        Assert.Contains((refusal, CheckIds.Refusal, FindingSeverity.Block), await FindingsAsync()); // new findings take the dataset's severity
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Checker.SetSeverityAsync(Data.Id, CheckIds.Refusal, FindingSeverity.Info, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Checker.SetSeverityAsync(Data.Id, "no-such-check", FindingSeverity.Info, TestPrincipals.Lead));
    }

    [Fact]
    public async Task Edit_ChecksThePairAgain_InTheSameTransaction()
    {
        var pairId = Data.PairByRecord["clean-1"];
        var reviews = Core.Get<ReviewService>();
        var annotator = TestPrincipals.Reviewer("ann-id", "ann");
        var pair = (await Core.Get<ReviewQueries>().LoadAsync(pairId))!;

        var edited = await reviews.EditAsync(pairId, pair.RowVersion, annotator, PairSide.Rejected, pair.Chosen.Text.ToUpperInvariant());
        Assert.Contains((pairId, CheckIds.Identical, FindingSeverity.Block), await FindingsAsync());

        await reviews.EditAsync(pairId, edited.RowVersion, annotator, PairSide.Rejected, "A green circle is above the blue square.");
        Assert.DoesNotContain(await FindingsAsync(), f => f.PairId == pairId);
    }

    [Fact]
    public async Task SwapAndUndo_CheckThePairAgain_ForTheTextsItNowHas()
    {
        var pairId = Data.PairByRecord["placeholder"]; // "<image>" sits in the rejected answer
        var reviews = Core.Get<ReviewService>();
        var annotator = TestPrincipals.Reviewer("ann-id", "ann");
        var pair = (await Core.Get<ReviewQueries>().LoadAsync(pairId))!;
        Assert.Contains("rejected contains", await DetailAsync(pairId, CheckIds.Placeholder));

        await reviews.SwapAsync(pairId, pair.RowVersion, annotator);
        Assert.Contains("chosen contains", await DetailAsync(pairId, CheckIds.Placeholder));

        await reviews.UndoAsync(Data.Id, annotator);
        Assert.Contains("rejected contains", await DetailAsync(pairId, CheckIds.Placeholder));
    }

    private async Task<string?> DetailAsync(long pairId, string checkId)
    {
        await using var db = await NewDbAsync();
        return await db.PairFindings.Where(f => f.PairId == pairId && f.CheckId == checkId).Select(f => f.Detail).SingleAsync();
    }

    [Fact]
    public async Task FindingFilter_ServesOnlyMatchingPairs_InTheReviewQueue()
    {
        var queue = Core.Get<ReviewQueries>();
        var next = await queue.NextAsync(Data.Id, "ann-id", new PairFilter(Finding: CheckIds.Placeholder));
        Assert.Equal(Data.PairByRecord["placeholder"], next!.PairId);
        var clean = await queue.NextAsync(Data.Id, "ann-id", new PairFilter(NoBlocking: true));
        Assert.Equal(Data.PairByRecord["clean-1"], clean!.PairId);
        Assert.Null(await queue.NextAsync(Data.Id, "ann-id", new PairFilter(Finding: CheckIds.Repetition)));
    }

    [Fact]
    public async Task ChecksJob_RunsToCompletion_AndResumesAfterItsCursor()
    {
        var job = await Core.Get<PairChecksJobs>().StartAsync(Data.Id, TestPrincipals.Lead);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Core.Get<PairChecksJobs>().StartAsync(Data.Id, TestPrincipals.Annotator));
        var cursor = Data.PairByRecord["missing"]; // as if the job had committed up to here before a crash
        await using (var db = await NewDbAsync())
        {
            await db.PairFindings.ExecuteDeleteAsync();
            await db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.ResumeCursor, cursor).SetProperty(j => j.ItemsTotal, 10));
        }

        await Core.Get<BpoStudio.Core.Jobs.JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var check = await NewDbAsync();
        var done = await check.Jobs.SingleAsync(j => j.Id == job.Id);
        Assert.Equal(BpoStudio.Core.Jobs.JobStatus.Completed, done.Status);
        var findings = await FindingsAsync();
        Assert.Contains(findings, f => f.PairId == Data.PairByRecord["refusal"]);
        Assert.DoesNotContain(findings, f => f.PairId <= cursor); // those were the crashed run's, not this one's
        Assert.Equal(await check.Pairs.CountAsync(p => p.DatasetId == Data.Id && p.Id > cursor), done.ItemsDone);
    }

    private async Task<List<long>> UnblockedAsync()
    {
        await using var db = await NewDbAsync();
        return await db.Matching(Data.Id, new PairFilter(NoBlocking: true), null).Select(p => p.Id).ToListAsync();
    }

    private async Task<List<(long PairId, string CheckId, FindingSeverity Severity)>> FindingsAsync()
    {
        await using var db = await NewDbAsync();
        return [.. (await db.PairFindings.Select(f => new { f.PairId, f.CheckId, f.Severity }).ToListAsync()).Select(f => (f.PairId, f.CheckId, f.Severity))];
    }

}

public class PairCheckerTestsOnPostgres : PairCheckerTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
