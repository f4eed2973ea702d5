using BpoStudio.Core.Audit;
using BpoStudio.Core.Dashboard;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Core.Triage.Checks;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Triage;

public class BulkActionServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly Reviewer Ann = new("ann-id", "ann@example.test");
    private static readonly Reviewer Bob = new("bob-id", "bob@example.test");
    private CoreServices _core = null!;
    private TriageDataset _data = null!;

    private BulkActionService Bulk => _core.Get<BulkActionService>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _data = await TriageDataset.ImportAsync(_core);
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task BulkReject_ByFinding_RejectsExactlyTheMatches_WithABulkEventEach_AndOneAuditEntry()
    {
        var request = new BulkRequest(new PairFilter(Finding: CheckIds.Placeholder), BulkOperation.Reject, "Negative is not plausible");
        var preview = await Bulk.PreviewAsync(_data.Id, request, TestPrincipals.Lead);
        Assert.Equal((1, 1), (preview.Matched, preview.Applied));
        Assert.Equal(_data.PairByRecord["placeholder"], Assert.Single(preview.Sample).PairId);
        Assert.Contains(preview.Sample[0].Findings, f => f.CheckId == CheckIds.Placeholder);

        var result = await Bulk.ApplyAsync(_data.Id, request, TestPrincipals.Lead);

        Assert.Equal((1, 1), (result.Matched, result.Applied));
        var statuses = await StatusesAsync();
        Assert.Equal(PairStatus.Rejected, statuses[_data.PairByRecord["placeholder"]]);
        Assert.Equal(statuses.Count - 1, statuses.Values.Count(s => s == PairStatus.Pending));
        await using var db = await NewDbAsync();
        var e = await db.ReviewEvents.SingleAsync();
        Assert.Equal((ReviewAction.Reject, result.BulkId, PairStatus.Pending, "Negative is not plausible"), (e.Action, e.BulkActionId, e.PreviousStatus, e.Reason));
        Assert.Equal("Negative is not plausible", (await db.Pairs.SingleAsync(p => p.Id == _data.PairByRecord["placeholder"])).RejectReason);
        var audit = await db.AuditEntries.SingleAsync(a => a.Action == AuditActions.BulkApply);
        Assert.Contains("reject 1 of 1", audit.Details);
    }

    [Fact]
    public async Task Undo_RestoresEveryPairItChanged_AsOneUnit()
    {
        var before = await StatusesAsync();
        var result = await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        Assert.Equal(7, result.Applied); // ten pairs less identical, placeholder and missing-image
        Assert.Equal(7, (await StatusesAsync()).Values.Count(s => s == PairStatus.Accepted));

        var undo = await Bulk.UndoAsync(result.BulkId!.Value, TestPrincipals.Lead);

        Assert.Equal((7, 0), (undo.Restored, undo.KeptLaterChanges));
        Assert.Equal(before, await StatusesAsync());
        await using var db = await NewDbAsync();
        Assert.All(await db.ReviewEvents.ToListAsync(), e => Assert.True(e.Undone));
        Assert.NotNull((await db.BulkActions.SingleAsync()).UndoneAt);
        Assert.Single(await db.AuditEntries.Where(a => a.Action == AuditActions.BulkUndo).ToListAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => Bulk.UndoAsync(result.BulkId.Value, TestPrincipals.Lead));
    }

    [Fact]
    public async Task Undo_KeepsAPairAPersonDecidedAfterTheBulkAction()
    {
        var result = await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        var changed = _data.PairByRecord["clean-2"];
        var pair = (await _core.Get<ReviewQueries>().LoadAsync(changed))!;
        await _core.Get<ReviewService>().RejectAsync(changed, pair.RowVersion, Ann, "Negative is actually correct");

        var undo = await Bulk.UndoAsync(result.BulkId!.Value, TestPrincipals.Lead);

        Assert.Equal((6, 1), (undo.Restored, undo.KeptLaterChanges));
        var statuses = await StatusesAsync();
        Assert.Equal(PairStatus.Rejected, statuses[changed]);
        Assert.Equal(PairStatus.Pending, statuses[_data.PairByRecord["clean-1"]]);
    }

    [Fact]
    public async Task Bulk_LeavesPeoplesDecisionsAlone_UnlessAsked_AndNeverALeadsResolution()
    {
        var decided = _data.PairByRecord["clean-1"];
        var resolved = _data.PairByRecord["clean-2"];
        var reviews = _core.Get<ReviewService>();
        var queries = _core.Get<ReviewQueries>();
        await reviews.RejectAsync(decided, (await queries.LoadAsync(decided))!.RowVersion, Ann, "Other");
        await reviews.ResolveAsync(resolved, (await queries.LoadAsync(resolved))!.RowVersion, TestPrincipals.Lead, PairStatus.Rejected, "final");

        var plain = await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        Assert.Equal((7, 5), (plain.Matched, plain.Applied));
        var statuses = await StatusesAsync();
        Assert.Equal((PairStatus.Rejected, PairStatus.Rejected), (statuses[decided], statuses[resolved]));

        var overriding = await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept, IncludeDecided: true), TestPrincipals.Lead);
        Assert.Equal(1, overriding.Applied); // the person's rejection, never the lead's resolution
        statuses = await StatusesAsync();
        Assert.Equal((PairStatus.Accepted, PairStatus.Rejected), (statuses[decided], statuses[resolved]));
    }

    [Fact]
    public async Task AFilterThatMatchesNothing_SaysSo_AndChangesNothing()
    {
        var none = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Repetition), BulkOperation.Accept), TestPrincipals.Lead));
        Assert.Contains("No pair of 'triage' matches finding repetition", none.Message);
        await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Reject, "refusal"), TestPrincipals.Lead);
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Reject, "refusal"), TestPrincipals.Lead));
        Assert.Contains("already rejected", again.Message);
        await using var db = await NewDbAsync();
        Assert.Equal(1, await db.BulkActions.CountAsync());
        Assert.Equal(1, await db.ReviewEvents.CountAsync());
    }

    [Fact]
    public async Task Annotators_AreRefusedByTheServiceItself()
    {
        var request = new BulkRequest(new PairFilter(), BulkOperation.Accept);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Bulk.PreviewAsync(_data.Id, request, TestPrincipals.Annotator));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Bulk.ApplyAsync(_data.Id, request, TestPrincipals.Annotator));
        var applied = await Bulk.ApplyAsync(_data.Id, request, TestPrincipals.Lead);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Bulk.UndoAsync(applied.BulkId!.Value, TestPrincipals.Annotator));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            _core.Get<SpotCheckService>().DrawAsync(_data.Id, new SpotCheckRequest(new PairFilter(), 3, 1), TestPrincipals.Annotator));
    }

    [Fact]
    public async Task ABulkAction_IsRefusedWhileAGenerationJobAddsPairs()
    {
        await using (var db = await NewDbAsync())
        {
            db.Jobs.Add(new Job { Kind = JobKind.Generate, DatasetId = _data.Id, ParametersJson = "{}", Status = JobStatus.Running, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(), BulkOperation.Accept), TestPrincipals.Lead));
        Assert.Contains("generation job", refused.Message);
        Assert.All((await StatusesAsync()).Values, s => Assert.Equal(PairStatus.Pending, s));
    }

    [Fact]
    public async Task BulkEvents_CountNeitherInAgreementNorThroughput_AndAnAnnotatorsUndoPassesThemBy()
    {
        await using (var db = await NewDbAsync())
            await db.Datasets.Where(d => d.Id == _data.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));
        var pairId = _data.PairByRecord["clean-3"];
        var reviews = _core.Get<ReviewService>();
        var queries = _core.Get<ReviewQueries>();
        await reviews.AcceptAsync(pairId, (await queries.LoadAsync(pairId))!.RowVersion, Ann);
        await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(), BulkOperation.Flag, "look again"), TestPrincipals.Of(Ann.Name, Core.Accounts.Roles.Lead));

        var dashboard = await _core.Get<DashboardQueries>().LoadAsync(_data.Id);
        Assert.Equal(0, dashboard.Agreement.OverlappedPairs);
        Assert.Equal(1, Assert.Single(dashboard.Throughput).Decisions);

        var undone = await reviews.UndoAsync(_data.Id, Ann);
        Assert.Equal(pairId, undone!.PairId); // Ann's own accept, not the bulk flag made under her name
    }

    [Fact]
    public async Task BulkAssign_ThenUnassign_MovesPairsIntoAndOutOfAnAnnotatorsQueue()
    {
        await using (var db = await NewDbAsync())
        {
            db.Users.Add(new Core.Accounts.AppUser { Id = Bob.Id, UserName = Bob.Name, Email = Bob.Name });
            await db.SaveChangesAsync();
        }
        var filter = new PairFilter(Finding: CheckIds.Duplicate);
        var assigned = await Bulk.ApplyAsync(_data.Id, new BulkRequest(filter, BulkOperation.Assign, AssigneeId: Bob.Id), TestPrincipals.Lead);
        Assert.Equal(1, assigned.Applied);
        Assert.Equal(_data.PairByRecord["dup-2"], (await _core.Get<ReviewQueries>().NextAsync(_data.Id, Bob.Id))!.PairId);

        await Bulk.ApplyAsync(_data.Id, new BulkRequest(filter, BulkOperation.Unassign), TestPrincipals.Lead);
        await using var check = await NewDbAsync();
        Assert.Null((await check.Pairs.SingleAsync(p => p.Id == _data.PairByRecord["dup-2"])).AssigneeId);
        await Assert.ThrowsAsync<ArgumentException>(() => Bulk.ApplyAsync(_data.Id, new BulkRequest(filter, BulkOperation.Assign, AssigneeId: "nobody"), TestPrincipals.Lead));
    }

    [Fact]
    public async Task Exports_CountHowPairsWereDecided_AndCanLeaveBulkDecidedPairsOut()
    {
        var personal = _data.PairByRecord["clean-1"];
        await _core.Get<ReviewService>().AcceptAsync(personal, (await _core.Get<ReviewQueries>().LoadAsync(personal))!.RowVersion, Ann);
        await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        var runner = _core.Get<ExportRunner>();
        async Task<ExportManifest> ExportAsync(bool withoutBulk, string name) =>
            (await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_data.Id, null, ExportFormat.Trl, WithoutBulkDecided: withoutBulk), "test", makeZip: false),
                Path.Combine(_core.DataDirectory, name))).Manifest;

        var all = await ExportAsync(false, "all");
        Assert.Equal((7L, 1L, 6L, 0L), (all.Counts.Pairs, all.Counts.DecidedBy.People, all.Counts.DecidedBy.Bulk, all.Counts.DecidedBy.SampledStratum));
        var people = await ExportAsync(true, "people");
        Assert.Equal((1L, 1L, 0L), (people.Counts.Pairs, people.Counts.DecidedBy.People, people.Counts.DecidedBy.Bulk));

        var version = await _core.Get<Core.Approval.ApprovalService>().ApproveAsync(_data.Id, TestPrincipals.Lead, null);
        var frozen = (await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_data.Id, version.Number, ExportFormat.Trl), "test", makeZip: false),
            Path.Combine(_core.DataDirectory, "version"))).Manifest;
        Assert.Equal((1L, 6L), (frozen.Counts.DecidedBy.People, frozen.Counts.DecidedBy.Bulk)); // the version keeps who decided
    }

    [Fact]
    public async Task UndoingABulkAccept_GivesThePairsBackTheirEarlierDecisionSource()
    {
        var first = await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Reject, "refusal"), TestPrincipals.Lead);
        var second = await Bulk.ApplyAsync(_data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Accept), TestPrincipals.Lead);
        await Bulk.UndoAsync(second.BulkId!.Value, TestPrincipals.Lead);
        await using var db = await NewDbAsync();
        var pair = await db.Pairs.SingleAsync(p => p.Id == _data.PairByRecord["refusal"]);
        Assert.Equal((PairStatus.Rejected, DecisionSource.Bulk), (pair.Status, pair.DecisionSource));
        await Bulk.UndoAsync(first.BulkId!.Value, TestPrincipals.Lead);
        await using var again = await NewDbAsync();
        pair = await again.Pairs.SingleAsync(p => p.Id == _data.PairByRecord["refusal"]);
        Assert.Equal((PairStatus.Pending, DecisionSource.Person), (pair.Status, pair.DecisionSource));
    }

    private async Task<Dictionary<long, PairStatus>> StatusesAsync()
    {
        await using var db = await NewDbAsync();
        return await db.Pairs.Where(p => p.DatasetId == _data.Id).ToDictionaryAsync(p => p.Id, p => p.Status);
    }

    private Task<BpoDbContext> NewDbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}

public class BulkActionServiceTestsOnPostgres : BulkActionServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
