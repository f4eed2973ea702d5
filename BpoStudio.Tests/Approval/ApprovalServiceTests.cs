using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Approval;

public class ApprovalServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreServices _core = null!;
    private int _datasetId;

    private ApprovalService Approvals => _core.Get<ApprovalService>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task Approval_CountsPairsWithAMissingImage_AndCanLeaveThemOut()
    {
        long flagged;
        int accepted;
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            await db.Pairs.ExecuteUpdateAsync(x => x.SetProperty(p => p.Status, PairStatus.Accepted));
            accepted = await db.Pairs.CountAsync();
            flagged = await db.Samples.OrderBy(x => x.Id).Select(x => x.Id).FirstAsync();
            await db.Samples.Where(x => x.Id == flagged).ExecuteUpdateAsync(x => x.SetProperty(v => v.ImageProblem, "image 'a.png' does not exist under the image root"));
        }
        var missing = await Approvals.MissingImagesAsync(_datasetId, TestPrincipals.Lead);
        Assert.True(missing > 0);

        var version = await Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, "clean", leaveOutMissingImages: true);

        Assert.Equal(accepted - missing, version.PairCount);
        Assert.Contains($"{missing} pairs with a missing image left out", version.Notes);
        await using var check = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.False(await check.DatasetVersionItems.AnyAsync(i => i.SampleId == flagged));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Approvals.MissingImagesAsync(_datasetId, TestPrincipals.Annotator));
    }

    [Fact]
    public async Task Approve_FreezesAcceptedPairs_AndLaterEditsNeverChangeTheVersion()
    {
        var accepted = await AcceptFirstAsync(20);
        var v1 = await Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, "first cut");

        Assert.Equal(1, v1.Number);
        Assert.Equal(20, v1.PairCount);
        Assert.Equal("lead@example.test", v1.ApprovedBy);
        Assert.Matches("^[0-9a-f]{64}$", v1.ContentHash);
        var itemsBefore = await ItemsAsync(v1.Id);
        Assert.Equal(accepted, itemsBefore.Select(i => i.PairId).Order());

        // Edit an approved pair's negative and reject another: the live data changes, the version does not.
        var edited = accepted[0];
        await using (var db = await DbAsync())
        {
            var pair = await db.Pairs.SingleAsync(p => p.Id == edited);
            await _core.Get<ReviewService>().EditAsync(edited, pair.RowVersion, TestPrincipals.Reviewer("lead", "lead"), PairSide.Rejected, "A completely new negative.");
            await db.Pairs.Where(p => p.Id == accepted[1]).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Rejected));
        }
        var itemsAfter = await ItemsAsync(v1.Id);
        Assert.Equal(itemsBefore.Select(Describe), itemsAfter.Select(Describe));
        Assert.Equal(v1.ContentHash, await Approvals.RecomputeHashAsync(v1.Id));
        Assert.Equal(v1.ContentHash, (await Approvals.ListAsync(_datasetId)).Single().ContentHash);

        var v2 = await Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        Assert.Equal(2, v2.Number);
        Assert.Equal(19, v2.PairCount);
        Assert.NotEqual(v1.ContentHash, v2.ContentHash);
        Assert.Equal("A completely new negative.", (await ItemsAsync(v2.Id)).Single(i => i.PairId == edited).RejectedText);
    }

    [Fact]
    public async Task Approve_StoresItemsInSampleOrder_WhateverOrderPairsWereAssignedIn()
    {
        var accepted = await AcceptFirstAsync(30);
        await using (var db = await DbAsync())
        {
            // Assigned pairs come after unassigned ones on the dataset/status/assignee index: the first ten last.
            var firstTen = accepted.Take(10).ToList();
            db.PairAssignments.AddRange(firstTen.Select(id => new BpoStudio.Core.Review.PairAssignment { PairId = id, UserId = "annotator-1", DatasetId = _datasetId }));
            await db.SaveChangesAsync();
        }
        var version = await Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null);

        await using var check = await DbAsync();
        var stored = await check.DatasetVersionItems.Where(i => i.DatasetVersionId == version.Id).OrderBy(i => i.Id).Select(i => new { i.SampleId, i.PairId }).ToListAsync();
        Assert.Equal(30, stored.Count);
        Assert.Equal(stored.OrderBy(i => i.SampleId).ThenBy(i => i.PairId), stored);
    }

    [Fact]
    public async Task Approve_RefusesWhenNothingChangedOrNothingAccepted()
    {
        var empty = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null));
        Assert.Contains("no accepted pairs", empty.Message);
        Assert.Empty(await Approvals.ListAsync(_datasetId)); // the failed attempt left no version behind

        await AcceptFirstAsync(5);
        await Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        var same = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null));
        Assert.Contains("Nothing changed since version 1", same.Message);
    }

    [Fact]
    public async Task Compare_ListsAddedRemovedAndChangedPairs()
    {
        var first = await AcceptFirstAsync(10);
        var v1 = await Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        await using (var db = await DbAsync())
        {
            await db.Pairs.Where(p => p.Id == first[0]).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Rejected));
            var pair = await db.Pairs.SingleAsync(p => p.Id == first[1]);
            await _core.Get<ReviewService>().EditAsync(pair.Id, pair.RowVersion, TestPrincipals.Reviewer("lead", "lead"), PairSide.Chosen, "An edited ground truth.");
        }
        var added = await AcceptFirstAsync(13); // nine of the first ten (one is now rejected) and four more
        var v2 = await Approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null);

        var diff = await _core.Get<VersionComparer>().CompareAsync(v1.Id, v2.Id);

        Assert.Equal((1, 2), (diff.FromNumber, diff.ToNumber));
        Assert.Equal(4, diff.Added);
        Assert.Equal(1, diff.Removed);
        Assert.Equal(1, diff.Changed);
        Assert.Equal(8, diff.Unchanged);
        Assert.Equal(first[0], diff.RemovedItems.Single().PairId);
        Assert.Equal("An edited ground truth.", diff.ChangedItems.Single().ChosenAfter);
        Assert.Equal(added.Except(first).Order(), diff.AddedItems.Select(i => i.PairId).Order());
    }

    [Fact]
    public async Task AnnotatorsCannotApproveOrDeprecate_LeadsCanDeprecateWithAReason()
    {
        await AcceptFirstAsync(3);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Approvals.ApproveAsync(_datasetId, TestPrincipals.Annotator, null));
        var v1 = await Approvals.ApproveAsync(_datasetId, TestPrincipals.Admin, null);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Approvals.DeprecateAsync(v1.Id, TestPrincipals.Annotator, "no"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Approvals.DeprecateAsync(v1.Id, TestPrincipals.Lead, " "));

        await Approvals.DeprecateAsync(v1.Id, TestPrincipals.Lead, "wrong image root");

        var listed = (await Approvals.ListAsync(_datasetId)).Single();
        Assert.True(listed.Deprecated);
        Assert.Equal("wrong image root", listed.DeprecationReason);
    }

    private async Task<List<long>> AcceptFirstAsync(int count)
    {
        await using var db = await DbAsync();
        var ids = await db.Pairs.Where(p => p.DatasetId == _datasetId && p.Status != PairStatus.Rejected).OrderBy(p => p.Id).Select(p => p.Id).Take(count).ToListAsync();
        await db.Pairs.Where(p => ids.Contains(p.Id)).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        return ids;
    }

    private async Task<List<DatasetVersionItem>> ItemsAsync(int versionId)
    {
        await using var db = await DbAsync();
        return await db.DatasetVersionItems.AsNoTracking().Where(i => i.DatasetVersionId == versionId).OrderBy(i => i.PairId).ToListAsync();
    }

    private static string Describe(DatasetVersionItem i) => $"{i.PairId}|{i.Prompt}|{i.ChosenText}|{i.RejectedText}|{i.ChosenKind}|{i.RejectedKind}";

    private async Task<BpoDbContext> DbAsync() => await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}
