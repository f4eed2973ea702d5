using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Judging;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Judging;

/// <summary>
/// The judge measured against people: a blind sample by score band, reviewed in the normal way, then agreement, kappa,
/// the threshold's estimate, and accepting at or above it as one bulk action that carries the figures.
/// </summary>
public class JudgeCalibrationTests : JudgedBuses
{

    [Fact]
    public async Task ABlindSampleByBand_GivesAgreementKappaAndAThresholdEstimate_AndAcceptingAboveItCarriesTheFigures()
    {
        var calibration = _core.Get<JudgeCalibration>();
        Assert.Equal("judge:judge-vl", await calibration.LatestJudgeAsync(1));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => calibration.DrawAsync(1, "judge:judge-vl", 5, 3, TestPrincipals.Annotator));
        var check = await calibration.DrawAsync(1, "judge:judge-vl", perBand: 5, seed: 3, TestPrincipals.Lead);
        Assert.Equal(15, check.SampleSize); // scores 0, 0.5 and 1: three bands of five

        // People review the sample: the chosen answer is right when it says red.
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var sampled = await db.SpotCheckItems.Where(i => i.SpotCheckId == check.Id).Join(db.Pairs, i => i.PairId, p => p.Id, (i, p) => new { p.Id, p.RowVersion, Text = p.ChosenResponse!.Text }).ToListAsync();
            foreach (var pair in sampled)
                if (pair.Text.Contains("red")) await _core.Get<ReviewService>().AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
                else await _core.Get<ReviewService>().RejectAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator, "wrong colour");
        }

        var report = await calibration.ReportAsync(check.Id);
        Assert.Equal((15, 15), (report.Sampled, report.Reviewed));
        // The ten scored 0 or 1 agree with people; the five at one half are ties, left out.
        Assert.Equal((10, 10, 5), (report.Agreement.Pairs, report.Agreement.Agreeing, report.Agreement.Ties));
        Assert.Equal(1.0, report.Agreement.Kappa);
        Assert.Equal(0.0, report.Bands[0].Accepted);
        var top = report.Thresholds[4];
        var pendingTop = 32 - 5; // buses 1-39 not divisible by 5 are scored 1; five of them were sampled
        Assert.Equal(((long)pendingTop, 1.0), (top.Pairs, top.Acceptance!.Value));
        Assert.Equal(Math.Pow(0.005, 0.2), top.Low, 9); // 5 of 5 at 1 - 0.05/5
        Assert.Contains("Bonferroni", CalibrationReport.IntervalMethod);

        Assert.Contains("band edge", (await Assert.ThrowsAnyAsync<ArgumentException>(() => calibration.AcceptAtOrAboveAsync(check.Id, 0.5, TestPrincipals.Lead))).Message);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => calibration.AcceptAtOrAboveAsync(check.Id, 0.8, TestPrincipals.Annotator));
        var accepted = await calibration.AcceptAtOrAboveAsync(check.Id, 0.8, TestPrincipals.Lead);
        Assert.Equal(pendingTop, accepted.Applied);
        // Now most pairs are decided: the pending ones are counted directly (before, from every score less the decided).
        var after = await calibration.ReportAsync(check.Id);
        Assert.Equal([11L, 0L, 7L, 0L, 0L], after.Bands.Select(b => b.Pending));
        var rejected = await calibration.RejectBelowAsync(check.Id, 0.2, TestPrincipals.Lead);
        Assert.Equal(20 - 4 - 5, rejected.Applied); // wrong chosen answers (buses 40-59) scored 0, less the four at one half and the five sampled
        await using var check2 = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var bulk = await check2.BulkActions.AsNoTracking().SingleAsync(b => b.Id == accepted.BulkId);
        Assert.Contains("estimated acceptance 100.0%", bulk.Notes);
        Assert.Contains($"blind spot check {check.Id}", bulk.Notes);
        Assert.Equal(0, await check2.Pairs.CountAsync(p => p.Status == PairStatus.Pending && !check2.PairScores.Any(s => s.PairId == p.Id && s.PreferChosen == 0.5)));
    }

}

public class JudgeOrderTests : JudgedBuses
{
    [Fact]
    public async Task TheTriageTableAndTheQueue_FilterByScoreBand_AndServeTheJudgesLeastCertainFirst()
    {
        var triage = _core.Get<TriageQueries>();
        var top = new PairFilter(Scorer: "judge:judge-vl", ScoreAtLeast: 0.8);
        Assert.Equal(32, (await triage.PairsAsync(1, top)).Total); // buses 0-39 not divisible by 5
        var uncertain = new PairFilter(Scorer: "judge:judge-vl", UncertainFirst: true);
        var (_, rows) = await triage.PairsAsync(1, uncertain, take: 12);
        // Every fifth bus scored one half comes first, by id; then the certain ones.
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var halves = await db.PairScores.Where(s => s.PreferChosen == 0.5).Select(s => s.PairId).OrderBy(id => id).ToListAsync();
        Assert.Equal(halves, rows.Select(r => r.PairId).ToList());
        var served = await _core.Get<ReviewQueue>().ServeAsync(1, TestPrincipals.Annotator, uncertain);
        Assert.Equal(halves[0], served!.PairId);
        Assert.Equal("scored by judge:judge-vl, most uncertain first", uncertain.Describe());
    }
}

public class JudgeScoresAfterAnEditTests : JudgedBuses
{
    /// <summary>A verdict is about the texts the judge saw: an edit or a swap makes it moot, so the pair is judged again.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EditingOrSwappingAJudgedPair_ForgetsItsScoresFindingsAndHint_AndTheNextRunJudgesItAgain(bool edit)
    {
        var reviews = _core.Get<ReviewService>();
        long pairId;
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            pairId = await db.PairFindings.Where(f => f.CheckId == JudgeFindings.PrefersRejected).OrderBy(f => f.PairId).Select(f => f.PairId).FirstAsync();
        Assert.NotNull(await _core.Get<JudgeHints>().ForPairAsync(pairId, TestPrincipals.Annotator));
        var pair = await _core.Get<ReviewQueries>().LoadAsync(pairId);

        if (edit) await reviews.EditAsync(pairId, pair!.RowVersion, TestPrincipals.Annotator, PairSide.Chosen, "The image shows a red bus, parked.");
        else await reviews.SwapAsync(pairId, pair!.RowVersion, TestPrincipals.Annotator);

        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            Assert.False(await db.PairFindings.AnyAsync(f => f.PairId == pairId && f.CheckId.StartsWith(JudgeFindings.Prefix)));
            Assert.False(await db.PairScores.AnyAsync(s => s.PairId == pairId));
            Assert.Equal(59, await db.PairScores.CountAsync(s => s.Scorer.StartsWith("judge:"))); // the other pairs keep theirs
        }
        Assert.Null(await _core.Get<JudgeHints>().ForPairAsync(pairId, TestPrincipals.Annotator));
        Assert.Equal(1, (await _core.Get<JudgeJobs>().DryRunAsync(new JudgeParameters(1), TestPrincipals.Lead)).Pairs);
    }
}

/// <summary>The CLI's judge verbs over the same data (SQLite: the CLI opens the data directory).</summary>
public class JudgeCliTests : JudgedBuses
{
    [Fact]
    public async Task TheCli_RunsTheJudge_DrawsTheSample_AndPrintsTheCalibration()
    {
        string[] config = [$"--BpoStudio:DataDirectory={_core.DataDirectory}", $"--Judge:OpenAI:BaseUrl={_server.BaseUrl}", "--Judge:OpenAI:Model=judge-vl"];
        var (code, output, error) = await RunAsync(["judge", "run", "--dataset", "buses", "--json", .. config]);
        Assert.True(code == 0, error);
        using (var run = JsonDocument.Parse(output))
        {
            Assert.Equal(0, run.RootElement.GetProperty("pairs").GetInt64()); // every pair already has this judge's score
            Assert.Equal(20 - 4, run.RootElement.GetProperty("findings").GetProperty(JudgeFindings.PrefersRejected).GetInt32());
            Assert.Equal(12, run.RootElement.GetProperty("findings").GetProperty(JudgeFindings.Uncertain).GetInt32());
        }
        (code, output, error) = await RunAsync(["judge", "sample", "--dataset", "buses", "--per-band", "4", "--json", .. config]);
        Assert.True(code == 0, error);
        var spotCheck = JsonDocument.Parse(output).RootElement.GetProperty("spotCheck").GetInt64();
        (code, output, error) = await RunAsync(["judge", "calibration", "--dataset", "buses", "--spot-check", spotCheck.ToString(), .. config]);
        Assert.True(code == 0, error);
        Assert.Contains("0 of 12 sampled pairs reviewed", output);
        Assert.Contains("at or above 0.8:", output);
        // The review filters pick the pairs: claims mode over those the judge scored below 0.2 (the wrong chosen answers).
        (code, output, error) = await RunAsync(["judge", "run", "--dataset", "buses", "--mode", "claims", "--scorer", "judge:judge-vl", "--score-below", "0.2", "--dry-run", "--json", .. config]);
        Assert.True(code == 0, error);
        Assert.Equal(20 - 4, JsonDocument.Parse(output).RootElement.GetProperty("pairs").GetInt64());
        (code, _, error) = await RunAsync(["judge", "run", "--dataset", "buses", "--scorer", "judge:judge-vl", "--score-below", "low", "--dry-run", .. config]);
        Assert.Equal(2, code);
        Assert.Contains("--score-below is a score from 0 to 1, not 'low'", error);
        (code, _, error) = await RunAsync(["judge", "run", "--dataset", "buses", "--template", "nope-v1", "--dry-run", .. config]);
        Assert.NotEqual(0, code);
        Assert.Contains("has no judge template 'nope-v1'; it has pairwise-v1", error);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}

/// <summary>Sixty pairs of buses judged by a scripted judge that is truthful except on every fifth bus, where it only says A.</summary>
public abstract class JudgedBuses : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    protected readonly TestDataFolder _files = new();
    protected ScriptedChatServer _server = null!;
    protected CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        _server = await ScriptedChatServer.StartAsync();
        // Truthful, except on every fifth bus, where it only ever says A (a score of one half).
        _server.Fallback = request => JudgeTestData.Answers(request).A is var a && int.Parse(a.Split(' ')[1]) % 5 == 0 ? JudgeTestData.AlwaysA(request) : JudgeTestData.Truthful(request);
        _core = await CoreServices.StartAsync(settings => (settings["Judge:OpenAI:BaseUrl"], settings["Judge:OpenAI:Model"]) = (_server.BaseUrl, "judge-vl"), provider: Provider);
        await JudgeTestData.ImportAsync(_core, _files, "buses", right: 40, wrong: 20);
        var job = await _core.Get<JudgeJobs>().StartAsync(new JudgeParameters(1), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        await _server.DisposeAsync();
        _files.Dispose();
    }
}
