using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Review;

public class ReviewServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly Reviewer Ann = new("ann-id", "ann@example.test");
    private static readonly Reviewer Bob = new("bob-id", "bob@example.test");
    private CoreServices _core = null!;
    private int _datasetId;

    private ReviewQueries Queries => _core.Get<ReviewQueries>();
    private ReviewService Reviews => _core.Get<ReviewService>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task QueueServesAssignedFirst_ThenUnassigned_NeverDecidedOrOthersAssigned()
    {
        await using (var db = await NewDbAsync())
        {
            await db.Pairs.Where(p => p.Id == 50).ExecuteUpdateAsync(s => s.SetProperty(p => p.AssigneeId, Ann.Id));
            await db.Pairs.Where(p => p.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(p => p.AssigneeId, Bob.Id));
        }

        var first = await Queries.NextAsync(_datasetId, Ann.Id);
        Assert.Equal(50, first!.PairId);
        await Reviews.AcceptAsync(first.PairId, first.RowVersion, Ann);

        var second = await Queries.NextAsync(_datasetId, Ann.Id);
        Assert.Equal(2, second!.PairId); // 1 is Bob's
        Assert.Equal(1, (await Queries.NextAsync(_datasetId, Bob.Id))!.PairId);
        Assert.Equal(3, (await Queries.NextAsync(_datasetId, Ann.Id, skipped: [2]))!.PairId);
    }

    [Fact]
    public async Task AcceptAndReject_SetStatusRecordEventsAndProgress()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var accepted = await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann);
        Assert.Equal(PairStatus.Accepted, accepted.Status);

        var next = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var rejected = await Reviews.RejectAsync(next.PairId, next.RowVersion, Ann, RejectReasons.All[0]);
        Assert.Equal(PairStatus.Rejected, rejected.Status);

        await using var db = await NewDbAsync();
        var events = await db.ReviewEvents.OrderBy(e => e.Id).ToListAsync();
        Assert.Equal([ReviewAction.Accept, ReviewAction.Reject], events.Select(e => e.Action));
        Assert.Equal(RejectReasons.All[0], events[1].Reason);
        Assert.All(events, e => Assert.Equal(Ann.Name, e.UserName));
        var progress = await Queries.ProgressAsync(_datasetId, Ann.Id);
        Assert.Equal((2, 2), (progress.Decided, progress.Mine));
    }

    [Fact]
    public async Task WithOverlapTwo_PairStaysOpenUntilSecondReviewer_AndDisagreementIsFlagged()
    {
        await using (var db = await NewDbAsync())
            await db.Datasets.ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));

        var pair = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var afterAnn = await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann);
        Assert.Equal(PairStatus.Pending, afterAnn.Status);
        Assert.NotEqual(pair.PairId, (await Queries.NextAsync(_datasetId, Ann.Id))!.PairId);

        var forBob = (await Queries.NextAsync(_datasetId, Bob.Id))!;
        Assert.Equal(pair.PairId, forBob.PairId);
        var afterBob = await Reviews.RejectAsync(forBob.PairId, forBob.RowVersion, Bob, null);
        Assert.Equal(PairStatus.Flagged, afterBob.Status);

        var agreed = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        await Reviews.AcceptAsync(agreed.PairId, agreed.RowVersion, Ann);
        var agreedForBob = (await Queries.LoadAsync(agreed.PairId))!;
        Assert.Equal(PairStatus.Accepted, (await Reviews.AcceptAsync(agreed.PairId, agreedForBob.RowVersion, Bob)).Status);
    }

    [Fact]
    public async Task EditKeepsOriginal_AndPairPointsAtNewVersion()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var originalText = pair.Rejected.Text;

        var edited = await Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Rejected, "A purple elephant.");

        Assert.Equal("A purple elephant.", edited.Rejected.Text);
        Assert.True(edited.Rejected.IsEdited);
        Assert.Equal(pair.Chosen.Id, edited.Chosen.Id);
        await using var db = await NewDbAsync();
        var original = await db.Responses.SingleAsync(r => r.Id == pair.Rejected.Id);
        Assert.Equal(originalText, original.Text);
        var version = await db.Responses.SingleAsync(r => r.Id == edited.Rejected.Id);
        Assert.Equal(pair.Rejected.Id, version.PreviousVersionId);
        var e = await db.ReviewEvents.SingleAsync();
        Assert.Equal((ReviewAction.EditRejected, originalText, "A purple elephant."), (e.Action, e.TextBefore, e.TextAfter));
    }

    [Fact]
    public async Task SecondSaveOfSamePair_GetsConflictWithOthersVersion()
    {
        var seenByAnn = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var seenByBob = (await Queries.LoadAsync(seenByAnn.PairId))!;

        await Reviews.EditAsync(seenByAnn.PairId, seenByAnn.RowVersion, Ann, PairSide.Chosen, "Ann's better answer.");
        var conflict = await Assert.ThrowsAsync<ReviewConflictException>(() =>
            Reviews.EditAsync(seenByBob.PairId, seenByBob.RowVersion, Bob, PairSide.Chosen, "Bob's answer."));

        Assert.Equal("Ann's better answer.", conflict.Current.Chosen.Text);
        await using var db = await NewDbAsync();
        Assert.DoesNotContain(await db.Responses.Select(r => r.Text).ToListAsync(), t => t == "Bob's answer.");
        Assert.Single(await db.ReviewEvents.ToListAsync());
    }

    [Fact]
    public async Task ConcurrentDecisions_OneWinsOneConflicts()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var results = await Task.WhenAll(
            Capture(() => Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann)),
            Capture(() => Reviews.RejectAsync(pair.PairId, pair.RowVersion, Bob, null)));

        Assert.Single(results, r => r is null);
        Assert.Single(results, r => r is ReviewConflictException);
        await using var db = await NewDbAsync();
        Assert.Single(await db.PairDecisions.ToListAsync());
    }

    [Fact]
    public async Task UndoRevertsLastDecisionAndEdit_InOrder()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var edited = await Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Rejected, "Edited negative.");
        await Reviews.AcceptAsync(edited.PairId, edited.RowVersion, Ann);

        var afterFirstUndo = (await Reviews.UndoAsync(_datasetId, Ann))!;
        Assert.Equal(PairStatus.Pending, afterFirstUndo.Status);
        Assert.Equal("Edited negative.", afterFirstUndo.Rejected.Text);
        Assert.Equal(pair.PairId, (await Queries.NextAsync(_datasetId, Ann.Id))!.PairId);

        var afterSecondUndo = (await Reviews.UndoAsync(_datasetId, Ann))!;
        Assert.Equal(pair.Rejected.Id, afterSecondUndo.Rejected.Id);
        Assert.Null(await Reviews.UndoAsync(_datasetId, Ann));

        await using var db = await NewDbAsync();
        Assert.Empty(await db.PairDecisions.ToListAsync());
        Assert.Equal(2, await db.ReviewEvents.CountAsync(e => e.Action == ReviewAction.Undo));
    }

    [Fact]
    public async Task SwapExchangesSides_AndFlagSendsToLead()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        var swapped = await Reviews.SwapAsync(pair.PairId, pair.RowVersion, Ann);
        Assert.Equal((pair.Rejected.Id, pair.Chosen.Id), (swapped.Chosen.Id, swapped.Rejected.Id));

        var flagged = await Reviews.FlagAsync(swapped.PairId, swapped.RowVersion, Ann, "Is the square really blue?");
        Assert.Equal(PairStatus.Flagged, flagged.Status);
        Assert.Equal("Is the square really blue?", flagged.FlagComment);
    }

    [Fact]
    public async Task EmptyOrUnchangedEdit_IsRefused()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.Id))!;
        await Assert.ThrowsAsync<ArgumentException>(() => Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Chosen, "  "));
        await Assert.ThrowsAsync<ArgumentException>(() => Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Chosen, pair.Chosen.Text));
    }

    private static async Task<Exception?> Capture(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private Task<BpoDbContext> NewDbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}
