using System.Collections.Concurrent;
using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Review;

/// <summary>A team on one queue: reservations keep reviewers off each other's pairs, overlap N means N reviewers.</summary>
public class ReviewQueueTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly ClaimsPrincipal Ann = TestPrincipals.Reviewer("ann-id", "ann@example.test");
    private static readonly ClaimsPrincipal Bob = TestPrincipals.Reviewer("bob-id", "bob@example.test");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
    private CoreServices _core = null!;
    private int _datasetId;

    private ReviewQueue Queue => _core.Get<ReviewQueue>();
    private ReviewService Reviews => _core.Get<ReviewService>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider, services: s => s.AddSingleton<TimeProvider>(_clock));
        _datasetId = await _core.SeedDemoAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    private static ClaimsPrincipal Annotator(int i) => TestPrincipals.Reviewer($"ann-{i}", $"ann{i}@example.test");

    private async Task SetOverlapAsync(int overlap)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        await db.Datasets.ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, overlap));
    }

    [Fact]
    public async Task TwoReviewers_AreServedDifferentSamples_AndNeitherGetsTheOthersPair()
    {
        var served = await Task.WhenAll(Queue.ServeAsync(_datasetId, Ann), Queue.ServeAsync(_datasetId, Bob));
        Assert.NotEqual(served[0]!.SampleId, served[1]!.SampleId);
        Assert.Equal(["ann-id"], await Queue.HoldersAsync(served[0]!.PairId));
        // Ann decides; her next pair is the rest of her sample, which Bob's queue never offers.
        await Reviews.AcceptAsync(served[0]!.PairId, served[0]!.RowVersion, Ann);
        var annNext = await Queue.ServeAsync(_datasetId, Ann);
        var bobNext = await Queue.ServeAsync(_datasetId, Bob);
        Assert.Equal(served[0]!.SampleId, annNext!.SampleId);
        Assert.NotEqual(annNext.PairId, bobNext!.PairId);
    }

    // Every reviewer serves and accepts until the queue is empty for them: how many decisions were wasted on a pair
    // someone else had, and who decided each pair.
    private async Task<(int Wasted, ConcurrentDictionary<long, string> DecidedBy)> AcceptAllAtOnceAsync(int reviewers, PairFilter? filter = null)
    {
        var wasted = 0;
        var decidedBy = new ConcurrentDictionary<long, string>();
        await Task.WhenAll(Enumerable.Range(0, reviewers).Select(i => Task.Run(async () =>
        {
            var me = Annotator(i);
            for (var pair = await Queue.ServeAsync(_datasetId, me, filter); pair is not null; pair = await Queue.ServeAsync(_datasetId, me, filter))
            {
                await Task.Delay(3); // a glance at the pair, so every reviewer gets a turn on this 2-core machine
                try
                {
                    await Reviews.AcceptAsync(pair.PairId, pair.RowVersion, me);
                    Assert.True(decidedBy.TryAdd(pair.PairId, me.UserId()), $"pair {pair.PairId} was served to two reviewers");
                }
                catch (Exception ex) when (ex is ReviewConflictException or PairAlreadyDecidedException)
                {
                    Interlocked.Increment(ref wasted);
                }
            }
        })));
        return (wasted, decidedBy);
    }

    /// <summary>Twenty people pressing A as fast as the queue serves: no wasted decision, every pair decided once.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    public async Task ConcurrentReviewers_UnderOverlapOne_NeverShareAPair(int reviewers)
    {
        var (wasted, decidedBy) = await AcceptAllAtOnceAsync(reviewers);

        Assert.Equal(0, wasted);
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var pairs = await db.Pairs.CountAsync(p => p.DatasetId == _datasetId);
        Assert.Equal(pairs, decidedBy.Count);
        Assert.Equal(pairs, await db.PairDecisions.CountAsync());
        Assert.Equal(0, await db.Pairs.CountAsync(p => p.Status == PairStatus.Pending));
        Assert.Equal(0, await db.PairReservations.CountAsync());
        if (reviewers > 2) Assert.True(decidedBy.Values.Distinct().Count() > reviewers / 2, "the work was not spread over the team");
    }

    /// <summary>A team searching the same word at once: each matching pair decided once, nothing else served.</summary>
    [Fact]
    public async Task TenReviewersSearchingAtOnce_DecideEachMatchingPairOnce_AndNoOther()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var answers = await db.Pairs.Where(p => p.DatasetId == _datasetId).OrderBy(p => p.Id).Select(p => new { p.Id, p.RejectedResponseId }).ToListAsync();
        var matching = answers.Where((_, i) => i % 3 != 1).ToList(); // some pairs of a sample match and some do not
        foreach (var pair in matching)
            await db.Responses.Where(r => r.Id == pair.RejectedResponseId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, "A zebranoid lamp stands by the door."));
        var (wasted, decidedBy) = await AcceptAllAtOnceAsync(10, new PairFilter(Search: "zebranoid"));

        Assert.Equal(0, wasted);
        Assert.Equal(matching.Select(p => p.Id).Order(), decidedBy.Keys.Order());
    }

    [Fact]
    public async Task OverlapTwo_GivesEveryPairExactlyTwoReviewers_WithTwentyAtOnce()
    {
        await SetOverlapAsync(2);
        var holdersSeen = new ConcurrentBag<int>();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var me = Annotator(i);
            for (var pair = await Queue.ServeAsync(_datasetId, me); pair is not null; pair = await Queue.ServeAsync(_datasetId, me))
            {
                holdersSeen.Add((await Queue.HoldersAsync(pair.PairId)).Count);
                await (i % 3 == 0 ? Reviews.RejectAsync(pair.PairId, pair.RowVersion, me, "Other") : Reviews.AcceptAsync(pair.PairId, pair.RowVersion, me));
            }
        })));

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var perPair = await db.PairDecisions.GroupBy(d => d.PairId).Select(g => g.Count()).ToListAsync();
        Assert.Equal(await db.Pairs.CountAsync(), perPair.Count);
        Assert.All(perPair, n => Assert.Equal(2, n));
        Assert.All(holdersSeen, n => Assert.InRange(n, 1, 2));
        Assert.Equal(0, await db.Pairs.CountAsync(p => p.Status == PairStatus.Pending));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ASearch_ServesTheHeldSamplesMatchingPairFirst_AndNeverOneThatDoesNotMatch(bool secondMatches)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var sample = await db.Pairs.Where(p => p.DatasetId == _datasetId).GroupBy(p => p.SampleId).Where(g => g.Count() >= 2).Select(g => g.Key).OrderByDescending(id => id).FirstAsync();
        var pairs = await db.Pairs.Where(p => p.SampleId == sample).OrderBy(p => p.Id).Select(p => new { p.Id, p.RejectedResponseId }).ToListAsync();
        var other = await db.Pairs.Where(p => p.DatasetId == _datasetId && p.SampleId != sample).OrderBy(p => p.Id).Select(p => new { p.Id, p.RejectedResponseId }).FirstAsync();
        async Task SayAsync(long responseId, string text) => await db.Responses.Where(r => r.Id == responseId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, text));
        await SayAsync(pairs[0].RejectedResponseId, "A zebranoid lamp stands by the door.");
        await SayAsync(pairs[1].RejectedResponseId, secondMatches ? "Two zebranoid lamps stand by the door." : "A plain lamp stands by the door.");
        var search = new PairFilter(Search: "zebranoid");
        Assert.True(other.Id < pairs[1].Id);

        var first = (await Queue.ServeAsync(_datasetId, Ann, search))!;
        Assert.Equal(pairs[0].Id, first.PairId);
        Assert.Contains(pairs[1].Id, await db.PairReservations.Where(r => r.UserId == "ann-id").Select(r => r.PairId).ToListAsync()); // the sample is held
        await Reviews.AcceptAsync(first.PairId, first.RowVersion, Ann);
        await SayAsync(other.RejectedResponseId, "A zebranoid lamp elsewhere."); // a match outside the held sample, before it in the queue
        var second = (await Queue.ServeAsync(_datasetId, Ann, search))!;
        Assert.Equal(secondMatches ? pairs[1].Id : other.Id, second.PairId);
    }

    [Fact]
    public async Task AnExpiredReservation_ReturnsToTheQueue_ARenewedOneDoesNot()
    {
        var annPair = (await Queue.ServeAsync(_datasetId, Ann))!;
        _clock.Advance(Queue.Lease * 0.9);
        await Queue.RenewAsync(_datasetId, Ann);
        _clock.Advance(Queue.Lease * 0.9);
        Assert.NotEqual(annPair.SampleId, (await Queue.ServeAsync(_datasetId, Bob))!.SampleId);

        _clock.Advance(Queue.Lease + TimeSpan.FromSeconds(1)); // Ann walked away
        await Queue.ReleaseAsync(_datasetId, Bob);
        var bobNow = (await Queue.ServeAsync(_datasetId, Bob))!;
        Assert.Equal(annPair.PairId, bobNow.PairId);
        Assert.Equal(["bob-id"], await Queue.HoldersAsync(annPair.PairId));
    }

    [Fact]
    public async Task ADecisionOnAPairOthersCompleted_MovesOnWithANote_NotAConflict()
    {
        var seenByAnn = (await Queue.ServeAsync(_datasetId, Ann))!;
        // Bob opens the same pair directly (a link, or after Ann's hold expired) and decides first.
        var seenByBob = (await _core.Get<ReviewQueries>().LoadAsync(seenByAnn.PairId))!;
        await Reviews.RejectAsync(seenByBob.PairId, seenByBob.RowVersion, Bob, "Other");

        var note = await Assert.ThrowsAsync<PairAlreadyDecidedException>(() => Reviews.AcceptAsync(seenByAnn.PairId, seenByAnn.RowVersion, Ann));
        Assert.Contains("already rejected by bob@example.test", note.Message);
        Assert.Empty(await Queue.HoldersAsync(seenByAnn.PairId));
    }

    [Fact]
    public async Task SkippingGivesThePairBack_AndLeavingThePageGivesEverythingBack()
    {
        var pair = (await Queue.ServeAsync(_datasetId, Ann))!;
        await Queue.ReleaseAsync(_datasetId, Ann, pair.PairId);
        Assert.Empty(await Queue.HoldersAsync(pair.PairId));
        var next = (await Queue.ServeAsync(_datasetId, Ann, skipped: [pair.PairId]))!;
        Assert.NotEqual(pair.PairId, next.PairId);
        Assert.Equal(pair.PairId, (await Queue.ServeAsync(_datasetId, Bob))!.PairId);

        await Queue.ReleaseAsync(_datasetId, Ann);
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.False(await db.PairReservations.AnyAsync(r => r.UserId == "ann-id"));
    }

    [Fact]
    public async Task MyDecisions_AreBrowsable_UnderOverlapTwo_WithTheirBadge()
    {
        await SetOverlapAsync(2);
        var first = (await Queue.ServeAsync(_datasetId, Ann))!;
        await Reviews.AcceptAsync(first.PairId, first.RowVersion, Ann);
        var second = (await Queue.ServeAsync(_datasetId, Ann))!;
        await Reviews.RejectAsync(second.PairId, second.RowVersion, Ann, "Other");

        var accepted = (await Queue.ServeAsync(_datasetId, Ann, new PairFilter(MyDecision: MyDecisionFilter.Accepted)))!;
        Assert.Equal(first.PairId, accepted.PairId);
        Assert.Equal(PairStatus.Pending, accepted.Status); // one of two decisions: still open for the team
        Assert.Equal(Decision.Accepted, accepted.Mine!.Decision);
        var rejected = (await Queue.ServeAsync(_datasetId, Ann, new PairFilter(MyDecision: MyDecisionFilter.Rejected)))!;
        Assert.Equal(second.PairId, rejected.PairId);
        Assert.Null(await Queue.ServeAsync(_datasetId, Bob, new PairFilter(MyDecision: MyDecisionFilter.Any)));

        // She changes her mind while no lead has resolved it.
        var changed = await Reviews.RejectAsync(accepted.PairId, accepted.RowVersion, Ann, "Other");
        Assert.Equal(Decision.Rejected, (await _core.Get<ReviewQueries>().LoadAsync(changed.PairId, userId: Ann.UserId()))!.Mine!.Decision);
    }
}
