using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Judging;
using BpoStudio.Core.Triage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Judging;

/// <summary>
/// The judge job against a scripted OpenAI-compatible server on loopback that answers by a known rule: both orders,
/// images sent, scores and findings stored, a position-biased judge seen as uncertain, prose and broken JSON never
/// guessed, 429s and timeouts retried, no pair judged twice.
/// </summary>
public class JudgeJobTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private ScriptedChatServer _server = null!;
    private CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        _server = await ScriptedChatServer.StartAsync();
        _core = await CoreServices.StartAsync(settings =>
        {
            settings["Judge:OpenAI:BaseUrl"] = _server.BaseUrl;
            settings["Judge:OpenAI:Model"] = "judge-vl";
            settings["Judge:OpenAI:TimeoutSeconds"] = "1";
        }, provider: Provider);
        await JudgeTestData.ImportAsync(_core, _files, "buses", right: 6, wrong: 2);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        await _server.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task ATruthfulJudge_SeesTheImageInBothOrders_ScoresEveryPair_AndFlagsTheWrongChosenAnswers()
    {
        _server.Fallback = JudgeTestData.Truthful;
        var job = await RunAsync(new JudgeParameters(1));
        Assert.Equal((8L, 8L, 0L), (job.ItemsTotal, job.ItemsDone, job.ItemsFailed));
        Assert.Equal(16, _server.Requests.Count); // both orders for each pair
        Assert.All(_server.Requests, r => Assert.Equal(1, JudgeTestData.ImageParts(r)));
        Assert.All(_server.Requests, r => Assert.Equal("json_schema", r["response_format"]?["type"]?.GetValue<string>()));
        var scores = await ScoresAsync();
        Assert.Equal(6, scores.Count(s => s.PreferChosen == 1.0 && s.Confidence == 1.0 && !s.OrdersDisagree));
        Assert.Equal(2, scores.Count(s => s.PreferChosen == 0.0));
        Assert.All(scores, s => Assert.True(s.SawImage && s.Votes == 2 && s.Scorer == "judge:judge-vl" && s.Template == "pairwise-v1" && s.Rationale == "The image shows a red bus."));
        var findings = await _core.Get<PairChecker>().CountsAsync(1);
        Assert.Equal((2, 0), (findings[JudgeFindings.PrefersRejected], findings[JudgeFindings.Uncertain]));

        // Checking the texts again keeps the judge's findings; running the judge again judges nothing twice.
        await _core.Get<PairChecker>().RecomputeAsync(1, TestPrincipals.Lead);
        Assert.Equal(2, (await _core.Get<PairChecker>().CountsAsync(1))[JudgeFindings.PrefersRejected]);
        var again = await RunAsync(new JudgeParameters(1));
        Assert.Equal(0, again.ItemsTotal);
        Assert.Equal(16, _server.Requests.Count);
        var dry = await _core.Get<JudgeJobs>().DryRunAsync(new JudgeParameters(1, Samples: 3), TestPrincipals.Lead);
        Assert.Equal((0L, 0L), (dry.Pairs, dry.Calls));
    }

    [Fact]
    public async Task APositionBiasedJudge_IsUncertainOnEveryPair_NeverPrefersEitherSide()
    {
        _server.Fallback = JudgeTestData.AlwaysA;
        var dry = await _core.Get<JudgeJobs>().DryRunAsync(new JudgeParameters(1, Samples: 2), TestPrincipals.Lead);
        Assert.Equal((8L, 32L), (dry.Pairs, dry.Calls));
        Assert.True(dry.EstimatedTokens > 32 * 800, $"{dry.EstimatedTokens} tokens for 32 calls with an image each");
        await RunAsync(new JudgeParameters(1, Samples: 2));
        Assert.Equal(32, _server.Requests.Count);
        var scores = await ScoresAsync();
        Assert.All(scores, s => Assert.True(s.PreferChosen == 0.5 && s.OrdersDisagree && s.Votes == 4));
        var findings = await _core.Get<PairChecker>().CountsAsync(1);
        Assert.Equal((0, 8), (findings[JudgeFindings.PrefersRejected], findings[JudgeFindings.Uncertain]));
    }

    [Fact]
    public async Task ProseAndBrokenJson_AreAskedAgainThenRecordedUnparsable_And429sAndTimeoutsAreRetried()
    {
        _server.FailureStatus = 429;
        _server.FailNext(3);
        _server.Delay = TimeSpan.FromSeconds(1.5);
        _server.SlowRequests = 1; // the first call times out (1 s) and is asked again
        var busZero = 0;
        _server.Fallback = request =>
        {
            var (a, _) = JudgeTestData.Answers(request);
            // Bus 0 is only ever answered in prose (chosen shown first) or broken JSON (chosen shown second).
            if (!a.StartsWith("Bus 0 ", StringComparison.Ordinal)) return JudgeTestData.Truthful(request);
            Interlocked.Increment(ref busZero);
            return a.Contains("red") ? "I think A is better." : """{"preferred": "B", "confidence": """;
        };
        var job = await RunAsync(new JudgeParameters(1));
        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Equal((8L, 7L, 1L), (job.ItemsTotal, job.ItemsDone, job.ItemsFailed));
        var unparsable = (await ScoresAsync()).Single(s => s.Votes == 0);
        Assert.Equal((2, (double?)null), (unparsable.Unparsable, unparsable.PreferChosen));
        var failure = Assert.Single(await _core.Get<JobService>().FailuresAsync(job.Id));
        Assert.Contains("was a verdict", failure.Reason);
        Assert.Equal((5, 2), ((await ScoresAsync()).Count(s => s.PreferChosen == 1.0), (await ScoresAsync()).Count(s => s.PreferChosen == 0.0)));
        // Bus 0: each order asked three times (two retries; one more when the stalled first call was one of them), never guessed.
        Assert.InRange(busZero, 6, 7);
    }

    [Fact]
    public async Task OnlyALeadRunsTheJudge_AndAnUnsetJudgeIsRefusedByName()
    {
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => _core.Get<JudgeJobs>().StartAsync(new JudgeParameters(1), TestPrincipals.Annotator));
        Assert.Contains("--samples must be between 1 and 16", (await Assert.ThrowsAnyAsync<ArgumentException>(() => _core.Get<JudgeJobs>().StartAsync(new JudgeParameters(1, Samples: 0), TestPrincipals.Lead))).Message);
        await using var bare = await CoreServices.StartAsync();
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => bare.Get<JudgeJobs>().StartAsync(new JudgeParameters(1), TestPrincipals.Lead));
        Assert.Contains("Judge:OpenAI:BaseUrl", refused.Message);
    }

    [Fact]
    public async Task ALeadsEditedPrompt_IsTheDatasetsNextVersion_RunsUseIt_AndScoresKeepTheVersionTheyWereMadeWith()
    {
        _server.Fallback = JudgeTestData.Truthful;
        var templates = _core.Get<JudgeTemplates>();
        var builtIn = JudgePrompt.PairwiseV1;
        Assert.StartsWith("You judge answers to questions about images.", builtIn.System); // read from Judging/Templates/pairwise-v1.txt
        Assert.Equal("pairwise-v1", (await templates.ListAsync(1, TestPrincipals.Lead)).Current);
        await RunAsync(new JudgeParameters(1));

        var stricter = builtIn.System + " Count the objects before you decide.";
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => templates.SaveAsync(1, stricter, builtIn.User, TestPrincipals.Annotator));
        Assert.Contains("has no {b}", (await Assert.ThrowsAnyAsync<ArgumentException>(() => templates.SaveAsync(1, stricter, builtIn.User.Replace("{b}", "B"), TestPrincipals.Lead))).Message);
        Assert.Contains("the same as pairwise-v1", (await Assert.ThrowsAnyAsync<ArgumentException>(() => templates.SaveAsync(1, builtIn.System, builtIn.User, TestPrincipals.Lead))).Message);
        var saved = await templates.SaveAsync(1, stricter, builtIn.User, TestPrincipals.Lead);
        Assert.Equal("dataset1-v1", saved.Name);
        var listed = await templates.ListAsync(1, TestPrincipals.Lead);
        Assert.Equal(("dataset1-v1", "pairwise-v1"), (listed.Current, listed.CurrentVersion.BasedOn));

        // The next run uses the dataset's version: every pair is judged again under it, the old scores stay.
        _server.Requests.Clear();
        await RunAsync(new JudgeParameters(1));
        Assert.Equal(16, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.EndsWith("Count the objects before you decide.", r["messages"]![0]!["content"]!.GetValue<string>()));
        var scores = await ScoresAsync();
        Assert.Equal((8, 8), (scores.Count(s => s.Template == "pairwise-v1"), scores.Count(s => s.Template == "dataset1-v1")));

        await templates.ChooseAsync(1, "pairwise-v1", TestPrincipals.Lead);
        Assert.Equal("pairwise-v1", (await templates.ListAsync(1, TestPrincipals.Lead)).Current);
        Assert.Contains("has no judge template 'dataset1-v9'", (await Assert.ThrowsAnyAsync<ArgumentException>(() => templates.ChooseAsync(1, "dataset1-v9", TestPrincipals.Lead))).Message);
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(["judge.template", "judge.template-save"], await db.AuditEntries.Where(a => a.Action.StartsWith("judge.template")).OrderBy(a => a.Action).Select(a => a.Action).ToListAsync());
    }

    [Fact]
    public async Task ClaimsMode_ChecksEachSentenceOfTheNegative_AndOffersTheFalseOnesAsErrorSpans_NeverToABlindReview()
    {
        _server.Fallback = JudgeTestData.TruthfulClaims;
        var claims = new JudgeParameters(1, Mode: JudgeMode.Claims);
        var price = await _core.Get<JudgeJobs>().DryRunAsync(claims, TestPrincipals.Lead);
        Assert.Equal((8L, 8L), (price.Pairs, price.Calls)); // one sentence per negative
        var job = await RunAsync(claims);
        Assert.Equal((8L, 8L, 0L), (job.ItemsTotal, job.ItemsDone, job.ItemsFailed));
        Assert.All(_server.Requests, r => Assert.Equal(1, JudgeTestData.ImageParts(r)));
        Assert.All(_server.Requests, r => Assert.Contains("\"answer\"", r["response_format"]!.ToJsonString()));
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var checks = await db.ClaimChecks.AsNoTracking().ToListAsync();
            Assert.Equal((6, 2), (checks.Count(c => c.Holds == 0), checks.Count(c => c.Holds == 1))); // the six blue negatives are false
            Assert.All(checks, c => Assert.True(c.Scorer == "judge:judge-vl" && c.Template == "claims-v1" && c.Start == 0 && c.Votes == 1));
        }
        Assert.Equal(0, (await _core.Get<JudgeJobs>().DryRunAsync(claims, TestPrincipals.Lead)).Pairs); // nothing checked twice

        // On the review page the false claim is a suggested span with the judge's reason; a reviewer confirms it.
        var spans = _core.Get<BpoStudio.Core.Feedback.ErrorSpanService>();
        var pairId = await PairWhoseNegativeIsAsync("Bus 0 is blue.");
        var sheet = await spans.SheetAsync(pairId, TestPrincipals.Annotator);
        var suggestion = Assert.Single(sheet.Suggestions);
        Assert.Equal((0, "Bus 0 is blue.", BpoStudio.Core.Feedback.SpanOrigin.Judge), (suggestion.Start, suggestion.Text, suggestion.Origin));
        Assert.Equal("the judge: false, The bus in the image is red.", suggestion.Why);
        sheet = await spans.ConfirmAsync(pairId, sheet.ResponseId, suggestion, BpoStudio.Core.Feedback.ErrorType.Attribute, BpoStudio.Core.Feedback.ErrorSeverity.Critical, TestPrincipals.Annotator);
        Assert.Equal(BpoStudio.Core.Feedback.SpanOrigin.Judge, Assert.Single(sheet.Spans).Origin);

        // Blind: a pair in a spot check, or a dataset with hints off, shows no judge suggestion.
        var other = await PairWhoseNegativeIsAsync("Bus 1 is blue.");
        Assert.Single((await spans.SheetAsync(other, TestPrincipals.Annotator)).Suggestions);
        await _core.Get<SpotCheckService>().DrawAsync(1, new SpotCheckRequest(new PairFilter(), SampleSize: 8, Seed: 1, Stratified: false), TestPrincipals.Lead);
        Assert.Empty((await spans.SheetAsync(other, TestPrincipals.Annotator)).Suggestions);
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.SpotCheckItems.ExecuteDeleteAsync();
        Assert.Single((await spans.SheetAsync(other, TestPrincipals.Annotator)).Suggestions);
        await _core.Get<JudgeHints>().SetShownAsync(1, false, TestPrincipals.Lead);
        Assert.Empty((await spans.SheetAsync(other, TestPrincipals.Annotator)).Suggestions);
    }

    [Theory]
    [InlineData("The bus is red. It has 3.5 doors! Is it parked?\nYes", new[] { "The bus is red.", "It has 3.5 doors!", "Is it parked?", "Yes" })]
    [InlineData("  One claim without a stop  ", new[] { "One claim without a stop" })]
    [InlineData("... 42. !", new string[0])]
    public void AnAnswer_SplitsIntoItsSentences_ByTheirCharacters(string answer, string[] expected)
    {
        var claims = Claims.Split(answer);
        Assert.Equal(expected, claims.Select(c => c.Text));
        Assert.All(claims, c => Assert.Equal(c.Text, answer.Substring(c.Start, c.Length)));
    }

    private async Task<long> PairWhoseNegativeIsAsync(string text)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Pairs.Where(p => p.RejectedResponse!.Text == text).Select(p => p.Id).SingleAsync();
    }

    private async Task<Job> RunAsync(JudgeParameters parameters)
    {
        var job = await _core.Get<JudgeJobs>().StartAsync(parameters, TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        return (await _core.Get<JobService>().GetAsync(job.Id))!;
    }

    private async Task<List<PairScore>> ScoresAsync()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.PairScores.AsNoTracking().Where(s => s.Scorer.StartsWith("judge:")).OrderBy(s => s.PairId).ToListAsync(); // not the data's own (data:score)
    }
}
