using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Review;

public class ReviewServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly System.Security.Claims.ClaimsPrincipal Ann = TestPrincipals.Reviewer("ann-id", "ann@example.test");
    private static readonly System.Security.Claims.ClaimsPrincipal Bob = TestPrincipals.Reviewer("bob-id", "bob@example.test");
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
            db.PairAssignments.AddRange(new PairAssignment { PairId = 50, UserId = Ann.UserId(), DatasetId = _datasetId },
                new PairAssignment { PairId = 1, UserId = Bob.UserId(), DatasetId = _datasetId });
            await db.SaveChangesAsync();
        }

        var first = await Queries.NextAsync(_datasetId, Ann.UserId());
        Assert.Equal(50, first!.PairId);
        await Reviews.AcceptAsync(first.PairId, first.RowVersion, Ann);

        var second = await Queries.NextAsync(_datasetId, Ann.UserId());
        Assert.Equal(2, second!.PairId); // 1 is Bob's
        Assert.Equal(1, (await Queries.NextAsync(_datasetId, Bob.UserId()))!.PairId);
        Assert.Equal(3, (await Queries.NextAsync(_datasetId, Ann.UserId(), skipped: [2]))!.PairId);
    }

    [Fact]
    public async Task AcceptAndReject_SetStatusRecordEventsAndProgress()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var accepted = await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann);
        Assert.Equal(PairStatus.Accepted, accepted.Status);

        var next = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var rejected = await Reviews.RejectAsync(next.PairId, next.RowVersion, Ann, RejectReasons.All[0]);
        Assert.Equal(PairStatus.Rejected, rejected.Status);

        await using var db = await NewDbAsync();
        var events = await db.ReviewEvents.OrderBy(e => e.Id).ToListAsync();
        Assert.Equal([ReviewAction.Accept, ReviewAction.Reject], events.Select(e => e.Action));
        Assert.Equal(RejectReasons.All[0], events[1].Reason);
        Assert.All(events, e => Assert.Equal(Ann.DisplayName(), e.UserName));
        var progress = await Queries.ProgressAsync(_datasetId, Ann.UserId());
        Assert.Equal((2, 2), (progress.Decided, progress.Mine));
    }

    [Fact]
    public async Task WithOverlapTwo_PairStaysOpenUntilSecondReviewer_AndDisagreementIsFlagged()
    {
        await using (var db = await NewDbAsync())
            await db.Datasets.ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));

        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var afterAnn = await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann);
        Assert.Equal(PairStatus.Pending, afterAnn.Status);
        Assert.NotEqual(pair.PairId, (await Queries.NextAsync(_datasetId, Ann.UserId()))!.PairId);

        var forBob = (await Queries.NextAsync(_datasetId, Bob.UserId()))!;
        Assert.Equal(pair.PairId, forBob.PairId);
        var afterBob = await Reviews.RejectAsync(forBob.PairId, forBob.RowVersion, Bob, null);
        Assert.Equal(PairStatus.Flagged, afterBob.Status);

        var agreed = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        await Reviews.AcceptAsync(agreed.PairId, agreed.RowVersion, Ann);
        Assert.Equal(PairStatus.Accepted, (await Reviews.AcceptAsync(agreed.PairId, agreed.RowVersion, Bob)).Status);
    }

    [Fact]
    public async Task EditKeepsOriginal_AndPairPointsAtNewVersion()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
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
        var seenByAnn = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
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
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var results = await Task.WhenAll(
            Capture(() => Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann)),
            Capture(() => Reviews.RejectAsync(pair.PairId, pair.RowVersion, Bob, null)));

        Assert.Single(results, r => r is null);
        // Overlap 1 is satisfied by the first: the second is moved on with a note, not asked to decide again.
        Assert.Single(results, r => r is PairAlreadyDecidedException);
        await using var db = await NewDbAsync();
        Assert.Single(await db.PairDecisions.ToListAsync());
    }

    [Fact]
    public async Task UndoRevertsLastDecisionAndEdit_InOrder()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var edited = await Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Rejected, "Edited negative.");
        await Reviews.AcceptAsync(edited.PairId, edited.RowVersion, Ann);

        var afterFirstUndo = (await Reviews.UndoAsync(_datasetId, Ann))!;
        Assert.Equal(PairStatus.Pending, afterFirstUndo.Status);
        Assert.Equal("Edited negative.", afterFirstUndo.Rejected.Text);
        Assert.Equal(pair.PairId, (await Queries.NextAsync(_datasetId, Ann.UserId()))!.PairId);

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
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var swapped = await Reviews.SwapAsync(pair.PairId, pair.RowVersion, Ann);
        Assert.Equal((pair.Rejected.Id, pair.Chosen.Id), (swapped.Chosen.Id, swapped.Rejected.Id));

        var flagged = await Reviews.FlagAsync(swapped.PairId, swapped.RowVersion, Ann, "Is the square really blue?");
        Assert.Equal(PairStatus.Flagged, flagged.Status);
        Assert.Equal("Is the square really blue?", (await Queries.LoadAsync(flagged.PairId))!.FlagComment);
    }

    [Fact]
    public async Task AnAnnotatorsUndo_NeverOverturnsALeadsFinalResolution()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var flagged = await Reviews.FlagAsync(pair.PairId, pair.RowVersion, Ann, "is this right?");
        var resolved = await Reviews.ResolveAsync(flagged.PairId, flagged.RowVersion, TestPrincipals.Lead, PairStatus.Rejected, "negative is fine");

        var undo = await Assert.ThrowsAsync<ReviewRefusedException>(() => Reviews.UndoAsync(_datasetId, Ann));
        Assert.Contains("a lead's decision is final", undo.Message);
        var accept = await Assert.ThrowsAsync<ReviewRefusedException>(() => Reviews.AcceptAsync(resolved.PairId, resolved.RowVersion, Ann));
        Assert.Contains("resolved pair", accept.Message);

        var now = (await Queries.LoadAsync(pair.PairId))!;
        Assert.Equal((PairStatus.Rejected, resolved.RowVersion), (now.Status, now.RowVersion));
        Assert.NotEqual(pair.PairId, (await Queries.NextAsync(_datasetId, Bob.UserId()))!.PairId);
    }

    [Fact]
    public async Task ALeadsUndoOfTheirOwnResolution_ReopensTheFlag()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var flagged = await Reviews.FlagAsync(pair.PairId, pair.RowVersion, Ann, "is this right?");
        await Reviews.ResolveAsync(flagged.PairId, flagged.RowVersion, TestPrincipals.Lead, PairStatus.Accepted, null);

        var reopened = (await Reviews.UndoAsync(_datasetId, TestPrincipals.Lead))!;

        Assert.Equal(PairStatus.Flagged, reopened.Status);
        await using var db = await NewDbAsync();
        Assert.Null((await db.Pairs.SingleAsync(p => p.Id == pair.PairId)).ResolvedBy);
    }

    [Fact]
    public async Task UndoOfAnEditSomeoneElseEditedSince_IsRefused_AndTheirTextStays()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var annEdit = await Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Rejected, "Ann's negative.");
        await Reviews.EditAsync(annEdit.PairId, annEdit.RowVersion, Bob, PairSide.Rejected, "Bob's negative.");

        var refused = await Assert.ThrowsAsync<ReviewRefusedException>(() => Reviews.UndoAsync(_datasetId, Ann));

        Assert.Contains("bob@example.test changed this pair after your edit of the negative", refused.Message);
        Assert.Equal("Bob's negative.", (await Queries.LoadAsync(pair.PairId))!.Rejected.Text);
        Assert.Equal("Ann's negative.", (await Reviews.UndoAsync(_datasetId, Bob))!.Rejected.Text); // Bob's own undo is his to make
    }

    [Fact]
    public async Task WithOverlapTwo_TheSecondReviewersDecisionFromTheSameLoad_IsNotAConflict()
    {
        await using (var db = await NewDbAsync())
            await db.Datasets.ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));
        var seenByAnn = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var seenByBob = (await Queries.LoadAsync(seenByAnn.PairId))!;

        await Reviews.AcceptAsync(seenByAnn.PairId, seenByAnn.RowVersion, Ann);
        var afterBob = await Reviews.AcceptAsync(seenByBob.PairId, seenByBob.RowVersion, Bob); // the version Bob loaded before Ann decided

        Assert.Equal(PairStatus.Accepted, afterBob.Status);
        // A third decision on the completed pair is not needed: a note, not a conflict.
        var cid = TestPrincipals.Reviewer("cid-id", "cid");
        await Assert.ThrowsAsync<PairAlreadyDecidedException>(() => Reviews.RejectAsync(seenByAnn.PairId, seenByAnn.RowVersion, cid, null));
        // Texts changed meanwhile on an open pair are still a conflict: deciding on a stale text is refused.
        var open = (await Queries.NextAsync(_datasetId, cid.UserId()))!;
        await Reviews.EditAsync(open.PairId, open.RowVersion, Ann, PairSide.Rejected, "A new negative.");
        await Assert.ThrowsAsync<ReviewConflictException>(() => Reviews.RejectAsync(open.PairId, open.RowVersion, cid, null));
    }

    [Fact]
    public async Task WithOverlapTwo_UndoingTheFirstDecisionAfterTheSecond_LeavesThePairOpenOnTheSecond()
    {
        await using (var db = await NewDbAsync())
            await db.Datasets.ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann);
        Assert.Equal(PairStatus.Accepted, (await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Bob)).Status);

        var undone = (await Reviews.UndoAsync(_datasetId, Ann))!;

        Assert.Equal(PairStatus.Pending, undone.Status);
        await using var check = await NewDbAsync();
        Assert.Equal([Bob.UserId()], await check.PairDecisions.Where(d => d.PairId == pair.PairId).Select(d => d.UserId).ToListAsync());
    }

    [Fact]
    public async Task ReviewServices_RefuseSomeoneWithoutAReviewRole()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        var nobody = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity());
        var guest = TestPrincipals.Reviewer("guest-id", "guest", "Guest");
        foreach (var actor in new[] { nobody, guest })
        {
            await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Reviews.AcceptAsync(pair.PairId, pair.RowVersion, actor));
            await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Reviews.EditAsync(pair.PairId, pair.RowVersion, actor, PairSide.Chosen, "x"));
            await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Reviews.UndoAsync(_datasetId, actor));
        }
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Reviews.ResolveAsync(pair.PairId, pair.RowVersion, Ann, PairStatus.Accepted, null));
    }

    [Fact]
    public async Task BrowsingADecidedStatus_ShowsOnesOwnDecisionsToo()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, Ann);

        var browsed = await Queries.NextAsync(_datasetId, Ann.UserId(), new PairFilter(Status: PairStatus.Accepted));

        Assert.Equal(pair.PairId, browsed?.PairId);
        Assert.NotEqual(pair.PairId, (await Queries.NextAsync(_datasetId, Ann.UserId()))!.PairId); // the queue still never serves it again
    }

    [Fact]
    public async Task EmptyOrUnchangedEdit_IsRefused()
    {
        var pair = (await Queries.NextAsync(_datasetId, Ann.UserId()))!;
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Chosen, "  "));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Reviews.EditAsync(pair.PairId, pair.RowVersion, Ann, PairSide.Chosen, pair.Chosen.Text));
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
