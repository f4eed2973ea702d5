using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Review;

public class AssignmentServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly ClaimsPrincipal Lead = TestPrincipals.Lead;
    private static readonly ClaimsPrincipal Annotator = TestPrincipals.Annotator;
    private CoreServices _core = null!;
    private int _datasetId;
    private int _pairCount;

    private AssignmentService Assignments => _core.Get<AssignmentService>();
    private ReviewQueries Queries => _core.Get<ReviewQueries>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        _pairCount = await db.Pairs.CountAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Theory]
    [InlineData(10, new[] { 1, 1, 1 }, new[] { 4, 3, 3 })]
    [InlineData(100, new[] { 3, 1 }, new[] { 75, 25 })]
    [InlineData(2, new[] { 1, 1, 1 }, new[] { 1, 1, 0 })]
    [InlineData(0, new[] { 5 }, new[] { 0 })]
    public void SplitByWeight_AddsUpAndFollowsWeights(int total, int[] weights, int[] expected)
    {
        Assert.Equal(expected, AssignmentService.SplitByWeight(total, weights));
    }

    [Theory]
    [InlineData(10, 2, new[] { 1, 1, 1 }, new[] { 7, 7, 6 })]
    [InlineData(10, 2, new[] { 3, 1 }, new[] { 10, 10 })] // nobody reviews a pair twice: the heavier share is capped
    [InlineData(10, 2, new[] { 6, 1, 1 }, new[] { 10, 6, 4 })]
    [InlineData(4, 1, new[] { 1, 1 }, new[] { 2, 2 })]
    public void ShareOut_GivesEachPairItsReviewers_NoneTwice(int pairs, int perPair, int[] weights, int[] expected)
    {
        var counts = AssignmentService.ShareOut(pairs, perPair, weights);
        Assert.Equal(expected, counts);
        Assert.Equal(pairs * perPair, counts.Sum());
    }

    [Fact]
    public async Task WithOverlapTwo_EachPairGoesToExactlyTwoDifferentAnnotators_AndOnlyThemUntilTheyDecide()
    {
        await Assignments.SetOverlapAsync(Lead, _datasetId, 2);
        var result = await Assignments.AssignAsync(Lead, _datasetId, [new("ann", 1), new("bob", 1), new("cat", 2)], reassignAssigned: false);

        Assert.Equal(2 * _pairCount, result.Values.Sum());
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var perPair = await db.PairAssignments.GroupBy(a => a.PairId).Select(g => new { Count = g.Count(), People = g.Select(a => a.UserId).Distinct().Count() }).ToListAsync();
            Assert.Equal(_pairCount, perPair.Count);
            Assert.All(perPair, p => Assert.Equal((2, 2), (p.Count, p.People)));
        }
        var loads = await Assignments.PendingByAssigneeAsync(_datasetId);
        Assert.Equal(result.OrderBy(r => r.Key).Select(r => (r.Key, r.Value)), loads.OrderBy(l => l.UserId).Select(l => (l.UserId!, l.Pending)));

        // Each reviewer is served her own share; someone with no share finds nothing (each pair already has its two).
        var annFirst = (await Queries.NextAsync(_datasetId, "ann"))!;
        Assert.Contains("ann", annFirst.Assignees);
        Assert.Equal(2, annFirst.Assignees.Count);
        Assert.Null(await Queries.NextAsync(_datasetId, "dan"));

        // Clearing and assigning again with one annotator gives each pair the one reviewer there is.
        await Assignments.ClearAsync(Lead, _datasetId);
        Assert.Equal(_pairCount, (await Assignments.AssignAsync(Lead, _datasetId, [new("ann", 1)], reassignAssigned: false))["ann"]);
        Assert.NotNull(await Queries.NextAsync(_datasetId, "dan")); // overlap 2, one assignee: a second reviewer may take it
    }

    [Fact]
    public async Task AssignsPendingPairsByShare_AndQueueServesEachTheirOwn()
    {
        var result = await Assignments.AssignAsync(Lead, _datasetId, [new("ann", 3), new("bob", 1)], reassignAssigned: false);

        Assert.Equal(_pairCount, result.Values.Sum());
        Assert.Equal(AssignmentService.SplitByWeight(_pairCount, [3, 1]), new[] { result["ann"], result["bob"] });
        var loads = await Assignments.PendingByAssigneeAsync(_datasetId);
        Assert.DoesNotContain(loads, l => l.UserId is null);

        var annFirst = (await Queries.NextAsync(_datasetId, "ann"))!;
        var bobFirst = (await Queries.NextAsync(_datasetId, "bob"))!;
        Assert.Equal(["ann"], annFirst.Assignees);
        Assert.Equal(["bob"], bobFirst.Assignees);
        Assert.Null(await Queries.NextAsync(_datasetId, "carol")); // everything is someone's, overlap 1
    }

    [Fact]
    public async Task TheAuditLog_NamesAssigneesByEmail()
    {
        await using var scope = _core.Services.CreateAsyncScope();
        var ann = await scope.ServiceProvider.GetRequiredService<UserAdministration>().CreateAsync("ann.share@example.test", "Test-User-Pass-1", [], TestPrincipals.Admin);
        await Assignments.AssignAsync(Lead, _datasetId, [new(ann.Id, 1)], reassignAssigned: false);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var entry = await db.AuditEntries.SingleAsync(a => a.Action == "review.assign");
        Assert.Equal($"ann.share@example.test: {_pairCount}", entry.Details);
    }

    [Fact]
    public async Task WithOverlap_OthersAssignedPairsComeAfterOwnQueue()
    {
        await Assignments.AssignAsync(Lead, _datasetId, [new("ann", 1)], reassignAssigned: false);
        await Assignments.SetOverlapAsync(Lead, _datasetId, 2);

        var forCarol = (await Queries.NextAsync(_datasetId, "carol"))!;
        Assert.Equal(["ann"], forCarol.Assignees);
    }

    [Fact]
    public async Task Annotator_CannotAssignOrChangeOverlap()
    {
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Assignments.AssignAsync(Annotator, _datasetId, [new("ann", 1)], false));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Assignments.SetOverlapAsync(Annotator, _datasetId, 2));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Assignments.ClearAsync(Annotator, _datasetId));
    }

    [Fact]
    public async Task RefusesBadOverlapAndEmptyShares()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Assignments.SetOverlapAsync(Lead, _datasetId, 0));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Assignments.AssignAsync(Lead, _datasetId, [new("ann", 0)], false));
    }

    [Fact]
    public async Task QueueFilters_ByKindMethodAndText()
    {
        Assert.Null(await Queries.NextAsync(_datasetId, "ann", new PairFilter(RejectedKind: ResponseKind.MllmHal)));
        Assert.NotNull(await Queries.NextAsync(_datasetId, "ann", new PairFilter(RejectedKind: ResponseKind.LlmHal, Method: "model-free-injection")));
        var counting = (await Queries.NextAsync(_datasetId, "ann", new PairFilter(Search: "How many")))!;
        Assert.StartsWith("How many", counting.Prompt);
    }

    [Fact]
    public async Task QueueFilters_ByStatusSourceAndAnnotator()
    {
        var reviews = _core.Get<ReviewService>();
        var first = (await Queries.NextAsync(_datasetId, "ann"))!;
        var flagged = await reviews.FlagAsync(first.PairId, first.RowVersion, TestPrincipals.Reviewer("ann", "ann"), "check colour");

        Assert.Equal(flagged.PairId, (await Queries.NextAsync(_datasetId, "lead", new PairFilter(Status: PairStatus.Flagged)))!.PairId);
        Assert.Null(await Queries.NextAsync(_datasetId, "lead", new PairFilter(Source: "no-such-file")));
        Assert.NotNull(await Queries.NextAsync(_datasetId, "lead", new PairFilter(Source: "demo")));

        await Assignments.AssignAsync(Lead, _datasetId, [new("bob", 1)], reassignAssigned: false);
        var bobs = (await Queries.NextAsync(_datasetId, "lead", new PairFilter(AssigneeId: "bob")))!;
        Assert.Equal(["bob"], bobs.Assignees);
    }
}
