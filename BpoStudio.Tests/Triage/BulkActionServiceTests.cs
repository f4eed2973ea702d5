using BpoStudio.Core.Accounts;
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

public class BulkActionServiceTests : TriageDatasetTests
{
    private static readonly System.Security.Claims.ClaimsPrincipal Ann = TestPrincipals.Reviewer("ann-id", "ann@example.test");
    private static readonly System.Security.Claims.ClaimsPrincipal Bob = TestPrincipals.Reviewer("bob-id", "bob@example.test");

    private BulkActionService Bulk => Core.Get<BulkActionService>();

    [Fact]
    public async Task BulkReject_ByFinding_RejectsExactlyTheMatches_WithABulkEventEach_AndOneAuditEntry()
    {
        var request = new BulkRequest(new PairFilter(Finding: CheckIds.Placeholder), BulkOperation.Reject, "Negative is not plausible");
        var preview = await Bulk.PreviewAsync(Data.Id, request, TestPrincipals.Lead);
        Assert.Equal((1, 1), (preview.Matched, preview.Applied));
        Assert.Equal(Data.PairByRecord["placeholder"], Assert.Single(preview.Sample).PairId);
        Assert.Contains(preview.Sample[0].Findings, f => f.CheckId == CheckIds.Placeholder);

        var result = await Bulk.ApplyAsync(Data.Id, request, TestPrincipals.Lead);

        Assert.Equal((1, 1), (result.Matched, result.Applied));
        var statuses = await StatusesAsync();
        Assert.Equal(PairStatus.Rejected, statuses[Data.PairByRecord["placeholder"]]);
        Assert.Equal(statuses.Count - 1, statuses.Values.Count(s => s == PairStatus.Pending));
        await using var db = await NewDbAsync();
        var e = await db.ReviewEvents.SingleAsync();
        Assert.Equal((ReviewAction.Reject, result.BulkId, PairStatus.Pending, "Negative is not plausible"), (e.Action, e.BulkActionId, e.PreviousStatus, e.Reason));
        Assert.Equal("Negative is not plausible", (await db.Pairs.SingleAsync(p => p.Id == Data.PairByRecord["placeholder"])).RejectReason);
        var audit = await db.AuditEntries.SingleAsync(a => a.Action == BpoStudio.Core.Triage.TriageAudit.BulkApply);
        Assert.Contains("reject 1 of 1", audit.Details);
    }

    [Fact]
    public async Task Undo_RestoresEveryPairItChanged_AsOneUnit()
    {
        var before = await StatusesAsync();
        var result = await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        Assert.Equal(7, result.Applied); // ten pairs less identical, placeholder and missing-image
        Assert.Equal(7, (await StatusesAsync()).Values.Count(s => s == PairStatus.Accepted));

        var undo = await Bulk.UndoAsync(result.BulkId!.Value, TestPrincipals.Lead);

        Assert.Equal((7, 0), (undo.Restored, undo.KeptLaterChanges));
        Assert.Equal(before, await StatusesAsync());
        await using var db = await NewDbAsync();
        Assert.All(await db.ReviewEvents.ToListAsync(), e => Assert.True(e.Undone));
        Assert.NotNull((await db.BulkActions.SingleAsync()).UndoneAt);
        Assert.Single(await db.AuditEntries.Where(a => a.Action == BpoStudio.Core.Triage.TriageAudit.BulkUndo).ToListAsync());
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Bulk.UndoAsync(result.BulkId.Value, TestPrincipals.Lead));
    }

    [Fact]
    public async Task Undo_KeepsAPairAPersonDecidedAfterTheBulkAction()
    {
        var result = await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        var changed = Data.PairByRecord["clean-2"];
        var pair = (await Core.Get<ReviewQueries>().LoadAsync(changed))!;
        await Core.Get<ReviewService>().RejectAsync(changed, pair.RowVersion, Ann, "Negative is actually correct");

        var undo = await Bulk.UndoAsync(result.BulkId!.Value, TestPrincipals.Lead);

        Assert.Equal((6, 1), (undo.Restored, undo.KeptLaterChanges));
        var statuses = await StatusesAsync();
        Assert.Equal(PairStatus.Rejected, statuses[changed]);
        Assert.Equal(PairStatus.Pending, statuses[Data.PairByRecord["clean-1"]]);
    }

    [Fact]
    public async Task Bulk_LeavesPeoplesDecisionsAlone_UnlessAsked_AndNeverALeadsResolution()
    {
        var decided = Data.PairByRecord["clean-1"];
        var resolved = Data.PairByRecord["clean-2"];
        var reviews = Core.Get<ReviewService>();
        var queries = Core.Get<ReviewQueries>();
        await reviews.RejectAsync(decided, (await queries.LoadAsync(decided))!.RowVersion, Ann, "Other");
        await reviews.ResolveAsync(resolved, (await queries.LoadAsync(resolved))!.RowVersion, TestPrincipals.Lead, PairStatus.Rejected, "final");

        var plain = await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        Assert.Equal((7, 5), (plain.Matched, plain.Applied));
        var statuses = await StatusesAsync();
        Assert.Equal((PairStatus.Rejected, PairStatus.Rejected), (statuses[decided], statuses[resolved]));

        var overriding = await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept, IncludeDecided: true), TestPrincipals.Lead);
        Assert.Equal(1, overriding.Applied); // the person's rejection, never the lead's resolution
        statuses = await StatusesAsync();
        Assert.Equal((PairStatus.Accepted, PairStatus.Rejected), (statuses[decided], statuses[resolved]));
    }

    [Fact]
    public async Task AFilterThatMatchesNothing_SaysSo_AndChangesNothing()
    {
        var none = await Assert.ThrowsAnyAsync<InvalidOperationException>(() =>
            Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Repetition), BulkOperation.Accept), TestPrincipals.Lead));
        Assert.Contains("No pair of 'triage' matches finding repetition", none.Message);
        await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Reject, "refusal"), TestPrincipals.Lead);
        var again = await Assert.ThrowsAnyAsync<InvalidOperationException>(() =>
            Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Reject, "refusal"), TestPrincipals.Lead));
        Assert.Contains("already rejected", again.Message);
        await using var db = await NewDbAsync();
        Assert.Equal(1, await db.BulkActions.CountAsync());
        Assert.Equal(1, await db.ReviewEvents.CountAsync());
    }

    [Fact]
    public async Task Annotators_AreRefusedByTheServiceItself()
    {
        var request = new BulkRequest(new PairFilter(), BulkOperation.Accept);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Bulk.PreviewAsync(Data.Id, request, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Bulk.ApplyAsync(Data.Id, request, TestPrincipals.Annotator));
        var applied = await Bulk.ApplyAsync(Data.Id, request, TestPrincipals.Lead);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Bulk.UndoAsync(applied.BulkId!.Value, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() =>
            Core.Get<SpotCheckService>().DrawAsync(Data.Id, new SpotCheckRequest(new PairFilter(), 3, 1), TestPrincipals.Annotator));
    }

    [Fact]
    public async Task ABulkAction_IsRefusedWhileAGenerationJobAddsPairs()
    {
        await using (var db = await NewDbAsync())
        {
            db.Jobs.Add(new Job { Kind = JobKind.Generate, DatasetId = Data.Id, ParametersJson = "{}", Status = JobStatus.Running, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() =>
            Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(), BulkOperation.Accept), TestPrincipals.Lead));
        Assert.Contains("generation job", refused.Message);
        Assert.All((await StatusesAsync()).Values, s => Assert.Equal(PairStatus.Pending, s));
    }

    [Fact]
    public async Task BulkEvents_CountNeitherInAgreementNorThroughput_AndAnAnnotatorsUndoPassesThemBy()
    {
        await using (var db = await NewDbAsync())
            await db.Datasets.Where(d => d.Id == Data.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));
        var pairId = Data.PairByRecord["clean-3"];
        var reviews = Core.Get<ReviewService>();
        var queries = Core.Get<ReviewQueries>();
        await reviews.AcceptAsync(pairId, (await queries.LoadAsync(pairId))!.RowVersion, Ann);
        await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(), BulkOperation.Flag, "look again"), TestPrincipals.Of(Ann.DisplayName(), BpoStudio.Core.Accounts.Roles.Lead));

        var dashboard = await Core.Get<DashboardQueries>().LoadAsync(Data.Id, TestPrincipals.Lead);
        Assert.Equal(0, dashboard.Agreement.OverlappedPairs);
        Assert.Equal(1, Assert.Single(dashboard.Throughput).Decisions);

        var undone = await reviews.UndoAsync(Data.Id, Ann);
        Assert.Equal(pairId, undone!.PairId); // Ann's own accept, not the bulk flag made under her name
    }

    [Fact]
    public async Task BulkAssign_ThenUnassign_MovesPairsIntoAndOutOfAnAnnotatorsQueue()
    {
        await using (var db = await NewDbAsync())
        {
            db.Users.Add(new BpoStudio.Core.Accounts.AppUser { Id = Bob.UserId(), UserName = Bob.DisplayName(), Email = Bob.DisplayName() });
            await db.SaveChangesAsync();
        }
        var filter = new PairFilter(Finding: CheckIds.Duplicate);
        var assigned = await Bulk.ApplyAsync(Data.Id, new BulkRequest(filter, BulkOperation.Assign, AssigneeId: Bob.UserId()), TestPrincipals.Lead);
        Assert.Equal(1, assigned.Applied);
        Assert.Equal(Data.PairByRecord["dup-2"], (await Core.Get<ReviewQueries>().NextAsync(Data.Id, Bob.UserId()))!.PairId);

        await Bulk.ApplyAsync(Data.Id, new BulkRequest(filter, BulkOperation.Unassign), TestPrincipals.Lead);
        await using var check = await NewDbAsync();
        Assert.False(await check.PairAssignments.AnyAsync(a => a.PairId == Data.PairByRecord["dup-2"]));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Bulk.ApplyAsync(Data.Id, new BulkRequest(filter, BulkOperation.Assign, AssigneeId: "nobody"), TestPrincipals.Lead));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task BulkAssign_ReplacesUnderOverlapOne_AddsUnderOverlapTwo_AndItsUndoRestoresTheShares(int overlap)
    {
        await using (var db = await NewDbAsync())
        {
            db.Users.Add(new BpoStudio.Core.Accounts.AppUser { Id = Bob.UserId(), UserName = Bob.DisplayName(), Email = Bob.DisplayName() });
            await db.SaveChangesAsync();
        }
        await Core.Get<AssignmentService>().SetOverlapAsync(TestPrincipals.Lead, Data.Id, overlap);
        await Core.Get<AssignmentService>().AssignAsync(TestPrincipals.Lead, Data.Id, [new(Ann.UserId(), 1)], reassignAssigned: false);
        var all = new PairFilter();

        var assigned = await Bulk.ApplyAsync(Data.Id, new BulkRequest(all, BulkOperation.Assign, AssigneeId: Bob.UserId()), TestPrincipals.Lead);
        var expected = overlap == 1 ? new[] { Bob.UserId() } : [Ann.UserId(), Bob.UserId()];
        Assert.All(await SharesAsync(), s => Assert.Equal(expected, s));

        var undone = await Bulk.UndoAsync(assigned.BulkId!.Value, TestPrincipals.Lead);
        Assert.Equal(assigned.Applied, undone.Restored);
        Assert.All(await SharesAsync(), s => Assert.Equal([Ann.UserId()], s));

        var unassigned = await Bulk.ApplyAsync(Data.Id, new BulkRequest(all, BulkOperation.Unassign), TestPrincipals.Lead);
        Assert.Empty(await SharesAsync());
        await Bulk.UndoAsync(unassigned.BulkId!.Value, TestPrincipals.Lead);
        Assert.All(await SharesAsync(), s => Assert.Equal([Ann.UserId()], s));
    }

    private async Task<List<string[]>> SharesAsync()
    {
        await using var db = await NewDbAsync();
        var rows = await db.PairAssignments.Where(a => a.DatasetId == Data.Id).ToListAsync();
        return [.. rows.GroupBy(a => a.PairId).Select(g => g.Select(a => a.UserId).Order().ToArray())];
    }

    [Fact]
    public async Task Exports_CountHowPairsWereDecided_AndCanLeaveBulkDecidedPairsOut()
    {
        var personal = Data.PairByRecord["clean-1"];
        await Core.Get<ReviewService>().AcceptAsync(personal, (await Core.Get<ReviewQueries>().LoadAsync(personal))!.RowVersion, Ann);
        await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(NoBlocking: true), BulkOperation.Accept), TestPrincipals.Lead);
        var runner = Core.Get<ExportRunner>();
        async Task<ExportManifest> ExportAsync(bool withoutBulk, string name) =>
            (await runner.RunAsync(await runner.PlanAsync(new ExportOptions(Data.Id, null, ExportFormat.Trl, WithoutBulkDecided: withoutBulk), "test", makeZip: false),
                Path.Combine(Core.DataDirectory, name))).Manifest;

        var all = await ExportAsync(false, "all");
        Assert.Equal((7L, 1L, 6L, 0L), (all.Counts.Pairs, all.Counts.DecidedBy.People, all.Counts.DecidedBy.Bulk, all.Counts.DecidedBy.SampledStratum));
        var people = await ExportAsync(true, "people");
        Assert.Equal((1L, 1L, 0L), (people.Counts.Pairs, people.Counts.DecidedBy.People, people.Counts.DecidedBy.Bulk));

        var version = await Core.Get<BpoStudio.Core.Approval.ApprovalService>().ApproveAsync(Data.Id, TestPrincipals.Lead, null);
        var frozen = (await runner.RunAsync(await runner.PlanAsync(new ExportOptions(Data.Id, version.Number, ExportFormat.Trl), "test", makeZip: false),
            Path.Combine(Core.DataDirectory, "version"))).Manifest;
        Assert.Equal((1L, 6L), (frozen.Counts.DecidedBy.People, frozen.Counts.DecidedBy.Bulk)); // the version keeps who decided
    }

    [Fact]
    public async Task UndoingABulkAccept_GivesThePairsBackTheirEarlierDecisionSource()
    {
        var first = await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Reject, "refusal"), TestPrincipals.Lead);
        var second = await Bulk.ApplyAsync(Data.Id, new BulkRequest(new PairFilter(Finding: CheckIds.Refusal), BulkOperation.Accept), TestPrincipals.Lead);
        await Bulk.UndoAsync(second.BulkId!.Value, TestPrincipals.Lead);
        await using var db = await NewDbAsync();
        var pair = await db.Pairs.SingleAsync(p => p.Id == Data.PairByRecord["refusal"]);
        Assert.Equal((PairStatus.Rejected, DecisionSource.Bulk), (pair.Status, pair.DecisionSource));
        await Bulk.UndoAsync(first.BulkId!.Value, TestPrincipals.Lead);
        await using var again = await NewDbAsync();
        pair = await again.Pairs.SingleAsync(p => p.Id == Data.PairByRecord["refusal"]);
        Assert.Equal((PairStatus.Pending, DecisionSource.Person), (pair.Status, pair.DecisionSource));
    }

    private async Task<Dictionary<long, PairStatus>> StatusesAsync()
    {
        await using var db = await NewDbAsync();
        return await db.Pairs.Where(p => p.DatasetId == Data.Id).ToDictionaryAsync(p => p.Id, p => p.Status);
    }

}

public class BulkActionServiceTestsOnPostgres : BulkActionServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
