using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Dashboard;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Dashboard;

public class LeadWorkflowTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly System.Security.Claims.ClaimsPrincipal Ann = TestPrincipals.Reviewer("ann", "ann@example.test"), Bob = TestPrincipals.Reviewer("bob", "bob@example.test");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private CoreServices _core = null!;
    private int _datasetId;
    private List<long> _pairs = null!;

    private ReviewService Review => _core.Get<ReviewService>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider, services: s => s.AddSingleton<TimeProvider>(_clock));
        _datasetId = await _core.SeedDemoAsync();
        await using var db = await DbAsync();
        await db.Datasets.ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));
        _pairs = await db.Pairs.OrderBy(p => p.Id).Select(p => p.Id).Take(10).ToListAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    // The dashboard and the triage overview check the caller themselves, not only the lead pages that show them.
    [Fact]
    public async Task TheDashboardAndTriageOverview_RefuseAnAnnotatorAndASignedOutCaller()
    {
        foreach (var stranger in new[] { TestPrincipals.Annotator, new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity()) })
        {
            await Assert.ThrowsAsync<Core.ForbiddenError>(() => _core.Get<DashboardQueries>().LoadAsync(_datasetId, stranger));
            await Assert.ThrowsAsync<Core.ForbiddenError>(() => _core.Get<Core.Triage.TriageQueries>().OverviewAsync(_datasetId, stranger));
        }
        Assert.NotEmpty((await _core.Get<DashboardQueries>().LoadAsync(_datasetId, TestPrincipals.Lead)).ByStatus);
    }

    [Fact]
    public async Task Dashboard_CountsStatusesRatesEditsAndAgreementAsComputedByHand()
    {
        // ann/bob: accept/accept, accept/reject, reject/reject, accept/accept.
        await DecideAsync(_pairs[0], (Ann, true), (Bob, true));
        await DecideAsync(_pairs[1], (Ann, true), (Bob, false));
        await DecideAsync(_pairs[2], (Ann, false), (Bob, false));
        await DecideAsync(_pairs[3], (Ann, true), (Bob, true));
        var pair = await PairAsync(_pairs[4]);
        await Review.EditAsync(pair.Id, pair.RowVersion, Ann, PairSide.Rejected, "An edited negative.");

        var dashboard = await _core.Get<DashboardQueries>().LoadAsync(_datasetId, TestPrincipals.Lead);

        Assert.Equal(2, dashboard.ByStatus[PairStatus.Accepted]);
        Assert.Equal(1, dashboard.ByStatus[PairStatus.Rejected]);
        Assert.Equal(1, dashboard.ByStatus[PairStatus.Flagged]);
        var method = Assert.Single(dashboard.ByMethod, r => r.Key == "model-free-injection");
        Assert.Equal((2, 1), (method.Accepted, method.Rejected));
        // The edited negative still counts under the method that generated it, not under "edit".
        Assert.DoesNotContain(dashboard.ByMethod, r => r.Key == "edit");
        Assert.Equal(dashboard.ByStatus.Values.Sum(), dashboard.ByMethod.Sum(r => r.Accepted + r.Rejected + r.Pending));
        Assert.Equal(2.0 / 3, method.Rate!.Value, 10);
        Assert.Equal((1, 1), (dashboard.Edits, dashboard.EditedPairs));
        Assert.Equal(1.0 / 4, dashboard.EditsPerDecidedPair, 10); // four decided pairs (three decided, one flagged)
        Assert.Equal(2, dashboard.Throughput.Count);
        Assert.Equal(4, dashboard.Throughput.Single(t => t.Name == "ann@example.test").Decisions);

        var agreement = dashboard.Agreement;
        Assert.Equal(4, agreement.OverlappedPairs);
        Assert.Equal(0.75, agreement.PercentAgreement, 10);
        var cohen = Assert.Single(agreement.CohenByRaterPair);
        Assert.Equal((4, 0.75), (cohen.SharedPairs, cohen.PercentAgreement));
        Assert.Equal(0.5, cohen.CohensKappa, 10); // p_o 3/4, p_e 3/4*2/4 + 1/4*2/4 = 1/2
        Assert.Equal((2, 4), (agreement.FleissRaters, agreement.FleissPairs));
        Assert.Equal((0.75 - 34.0 / 64) / (1 - 34.0 / 64), agreement.FleissKappa, 10);
        var flagged = Assert.Single(dashboard.Flagged);
        Assert.Equal(_pairs[1], flagged.PairId);
        Assert.Equal(2, flagged.Decisions.Count);
    }

    [Fact]
    public async Task LeadResolvesAFlag_TheDecisionIsFinal_AndHistoryShowsIt()
    {
        await DecideAsync(_pairs[1], (Ann, true));
        var flagged = await PairAsync(_pairs[1]);
        await Review.FlagAsync(flagged.Id, flagged.RowVersion, Bob, "private note from bob: the bus is red, not green");
        flagged = await PairAsync(_pairs[1]);
        Assert.Equal(PairStatus.Flagged, flagged.Status);

        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Review.ResolveAsync(flagged.Id, flagged.RowVersion, TestPrincipals.Annotator, PairStatus.Accepted, null));
        var resolved = await Review.ResolveAsync(flagged.Id, flagged.RowVersion, TestPrincipals.Lead, PairStatus.Rejected, "negative is correct");

        Assert.Equal(PairStatus.Rejected, resolved.Status);
        var error = await Assert.ThrowsAsync<ReviewRefusedException>(() => Review.AcceptAsync(resolved.PairId, resolved.RowVersion, Ann));
        Assert.Contains("final", error.Message);

        var asLead = await _core.Get<LeadAudit>().HistoryAsync(flagged.Id, TestPrincipals.Lead);
        Assert.Equal(["Accept", "Flag", "ResolveFlag"], asLead.Select(h => h.Action));
        Assert.Equal("negative is correct", asLead[^1].Comment);
        Assert.Contains("private note", asLead[1].Comment);
        var asAnn = await _core.Get<LeadAudit>().HistoryAsync(flagged.Id, TestPrincipals.Of("ann", BpoStudio.Core.Accounts.Roles.Annotator));
        Assert.Null(asAnn[1].Comment); // bob's note is not ann's to read
    }

    [Fact]
    public async Task SecondLook_SamplesDistinctAcceptedPairs_ForLeadsOnly()
    {
        await using (var db = await DbAsync())
            await db.Pairs.Where(p => _pairs.Contains(p.Id)).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        var audit = _core.Get<LeadAudit>();

        var sample = await audit.SampleAcceptedAsync(_datasetId, 4, TestPrincipals.Lead);

        Assert.Equal(4, sample.Select(p => p.PairId).Distinct().Count());
        Assert.All(sample, p => Assert.Contains(p.PairId, _pairs));
        Assert.Equal(10, (await audit.SampleAcceptedAsync(_datasetId, 50, TestPrincipals.Lead)).Count);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => audit.SampleAcceptedAsync(_datasetId, 4, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => audit.SampleAcceptedAsync(_datasetId, 0, TestPrincipals.Lead));
    }

    [Fact]
    public async Task AuditLog_MergesReviewEventsAndAuditEntries_FiltersAndExportsCsv()
    {
        await DecideAsync(_pairs[0], (Ann, true), (Bob, true));
        var pair = await PairAsync(_pairs[2]);
        await Review.RejectAsync(pair.Id, pair.RowVersion, Ann, "Other, \"quoted\"");
        await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, "first");
        var log = _core.Get<AuditQueries>();

        var all = await log.SearchAsync(new AuditFilter(), TestPrincipals.Lead);
        Assert.Equal(4, all.Count);
        Assert.Equal(all.OrderByDescending(r => r.At).Select(r => r.At), all.Select(r => r.At));
        Assert.Equal("version.approve", Assert.Single(await log.SearchAsync(new AuditFilter(AuditKind.Approval), TestPrincipals.Lead)).Action);
        Assert.Single(await log.SearchAsync(new AuditFilter(User: "bob"), TestPrincipals.Lead));
        Assert.Single(await log.SearchAsync(new AuditFilter(Text: "quoted"), TestPrincipals.Lead));

        using var csv = new MemoryStream();
        await log.WriteCsvAsync(csv, new AuditFilter(), TestPrincipals.Lead);
        var lines = System.Text.Encoding.UTF8.GetString(csv.ToArray()).TrimEnd().Split('\n');
        Assert.Equal("at,kind,user,action,subject,details", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.Contains(lines, l => l.Contains("\"Other, \"\"quoted\"\"\""));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => log.SearchAsync(new AuditFilter(), TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => log.WriteCsvAsync(Stream.Null, new AuditFilter(), TestPrincipals.Annotator));
    }

    [Fact]
    public async Task Throughput_CountsTheLastSevenDaysByTheAppsClock_WithBreaksLeftOutOfTheMedian()
    {
        await DecideAsync(_pairs[0], (Ann, true));
        _clock.Advance(TimeSpan.FromSeconds(30));
        await DecideAsync(_pairs[1], (Ann, false));
        _clock.Advance(TimeSpan.FromHours(2)); // a break: not time spent on a pair
        await DecideAsync(_pairs[2], (Ann, true));
        _clock.Advance(TimeSpan.FromDays(8));
        await DecideAsync(_pairs[3], (Ann, true));

        var ann = (await _core.Get<DashboardQueries>().LoadAsync(_datasetId, TestPrincipals.Lead)).Throughput.Single(t => t.Name == "ann@example.test");

        Assert.Equal(4, ann.Decisions);
        Assert.Equal(1, ann.LastSevenDays);
        Assert.Equal(30, ann.MedianSecondsPerDecision);
    }

    private async Task DecideAsync(long pairId, params (System.Security.Claims.ClaimsPrincipal Who, bool Accept)[] decisions)
    {
        foreach (var (who, accept) in decisions)
        {
            var pair = await PairAsync(pairId);
            if (accept) await Review.AcceptAsync(pairId, pair.RowVersion, who);
            else await Review.RejectAsync(pairId, pair.RowVersion, who, null);
        }
    }

    private async Task<PreferencePair> PairAsync(long id)
    {
        await using var db = await DbAsync();
        return await db.Pairs.AsNoTracking().SingleAsync(p => p.Id == id);
    }

    private async Task<BpoDbContext> DbAsync() => await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}
