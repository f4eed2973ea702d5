using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class JudgeBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ALeadRunsTheJudge_AnAnnotatorReviewsTheBlindSample_TheLeadReadsTheCalibrationAndAcceptsAboveAThreshold()
    {
        var services = fixture.App.Services;
        var imageHash = await fixture.StoreImageAsync(4);
        // Eight pairs whose chosen answer is right (red), four whose chosen answer is wrong.
        var samples = Enumerable.Range(0, 12).Select(i => i < 8
            ? Bus(imageHash, $"What colour is bus {i}?", $"Bus {i} is red.", $"Bus {i} is blue.")
            : Bus(imageHash, $"What colour is bus {i}?", $"Bus {i} is blue.", $"Bus {i} is red.")).ToArray();
        var datasetId = await fixture.NewDatasetAsync("buses", samples);

        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.GotoAsync($"/datasets/{datasetId}/triage");
        await BrowserSession.WaitForCircuitAsync(lead);
        await lead.GetByTestId("judge-price").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("judge-price-result")).ToContainTextAsync("12 pairs, 24 calls");
        await lead.GetByTestId("judge-run").ClickAsync();
        // The panel follows the run and says when it is done (there is no other place to look).
        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync("Judged 12 pairs", new() { Timeout = 30_000 });
        await Assertions.Expect(lead.GetByTestId("judge-progress")).ToHaveCountAsync(0);
        await WaitAsync(async db => await db.PairScores.CountAsync(s => s.DatasetId == datasetId) == 12, "the judge scored every pair");

        await lead.GetByLabel("Blind sample: pairs per score band").FillAsync("3");
        await lead.GetByTestId("judge-draw").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync("Blind sample");
        long checkId;
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            checkId = await db.SpotChecks.Where(s => s.DatasetId == datasetId).MaxAsync(s => s.Id);

        // The annotator reviews the sample in the queue, which shows no judge verdict.
        var annotator = await fixture.NewAnnotatorPageAsync();
        await annotator.GotoAsync($"/review/{datasetId}?spotCheck={checkId}");
        await BrowserSession.WaitForCircuitAsync(annotator);
        for (var decided = 1; decided <= 6; decided++)
        {
            var pair = annotator.GetByTestId("pair");
            await Assertions.Expect(pair).ToHaveAttributeAsync("data-keyboard", "ready");
            var pairId = long.Parse((await pair.GetAttributeAsync("data-pair-id"))!);
            // Blind: neither the judge's verdict nor its findings on a sampled pair.
            await Assertions.Expect(annotator.GetByText("The image shows a red bus")).ToHaveCountAsync(0);
            await Assertions.Expect(annotator.GetByTestId("judge-hint")).ToHaveCountAsync(0);
            await Assertions.Expect(annotator.GetByText("judge-prefers-rejected")).ToHaveCountAsync(0);
            string chosen;
            await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
                chosen = await db.Pairs.Where(p => p.Id == pairId).Select(p => p.ChosenResponse!.Text).SingleAsync();
            await annotator.Locator("#review-workspace").FocusAsync();
            await annotator.Keyboard.PressAsync(chosen.Contains("red") ? "a" : "r");
            await Assertions.Expect(annotator.GetByTestId("my-progress")).ToContainTextAsync($"You: {decided} decision");
        }

        await lead.ReloadAsync();
        await BrowserSession.WaitForCircuitAsync(lead);
        var calibration = lead.GetByTestId("judge-calibration");
        await Assertions.Expect(calibration).ToContainTextAsync("6 of 6 reviewed by people");
        await Assertions.Expect(lead.GetByTestId("judge-agreement")).ToContainTextAsync("Agreement 100.0% on 6 pairs");
        await Assertions.Expect(lead.GetByTestId("judge-threshold-0.8")).ToContainTextAsync("100.0%");
        await lead.SetViewportSizeAsync(1440, 900);
        await calibration.ScrollIntoViewIfNeededAsync();
        await lead.Locator("[aria-labelledby=judge-title]").ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-judge-calibration.png") });
        await lead.GetByTestId("judge-accept-0.8").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync("Accepted 5 pairs scored at or above 0.8");
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            Assert.Equal(8, await db.Pairs.CountAsync(p => p.DatasetId == datasetId && p.Status == PairStatus.Accepted && p.ChosenResponse!.Text.Contains("red")));
        await lead.SetViewportSizeAsync(390, 844);
        await lead.Locator("[aria-labelledby=judge-title]").ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-judge-390.png") });
        Assert.True(await lead.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the Triage page scrolls sideways at 390 px");

        // Outside the sample the reviewer sees the judge's verdict as a hint, until the lead switches hints off.
        await annotator.GotoAsync($"/review/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(annotator);
        await Assertions.Expect(annotator.GetByTestId("judge-hint")).ToContainTextAsync("prefers the rejected answer, 0.00 for the chosen answer: The image shows a red bus.");
        await lead.GetByTestId("judge-hints").ClickAsync();
        await WaitAsync(async db => await db.JudgeSettings.AnyAsync(s => s.DatasetId == datasetId && !s.ShowHints), "the hints are off");
        await annotator.ReloadAsync();
        await BrowserSession.WaitForCircuitAsync(annotator);
        await Assertions.Expect(annotator.GetByTestId("pair")).ToHaveAttributeAsync("data-keyboard", "ready");
        await Assertions.Expect(annotator.GetByTestId("judge-hint")).ToHaveCountAsync(0);

        // The lead exports the draft with the judge's scores, weighing the threshold's pairs by the judge's belief.
        await lead.SetViewportSizeAsync(1440, 900);
        await lead.GotoAsync($"/export?dataset={datasetId}");
        await BrowserSession.WaitForCircuitAsync(lead);
        await lead.GetByTestId("export-scorer").ClickAsync();
        await lead.GetByRole(AriaRole.Option, new() { NameRegex = new System.Text.RegularExpressions.Regex("^judge:") }).ClickAsync();
        await lead.GetByTestId("export-judge-weights").ClickAsync();
        await lead.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-export-scores.png") });
        await lead.SetViewportSizeAsync(390, 844);
        await lead.WaitForTimeoutAsync(500); // the drawer closes with a transition
        await lead.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-export-scores-390.png"), FullPage = true });
        Assert.True(await lead.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the Export page scrolls sideways at 390 px");
        await lead.SetViewportSizeAsync(1440, 900);
        await lead.GetByTestId("start-export").ClickAsync();
        // By this dataset's export (the shared app's history lists other tests' exports too).
        await WaitAsync(async db => await db.Exports.Where(e => e.DatasetId == datasetId).AnyAsync(e => db.Jobs.Any(j => j.Id == e.JobId && j.Status == Core.Jobs.JobStatus.Completed)),
            "the export is complete");
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var export = await db.Exports.Where(e => e.DatasetId == datasetId).OrderBy(e => e.Id).LastAsync();
            var manifest = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(export.FolderPath!, "manifest.json"))).RootElement.GetProperty("counts");
            Assert.StartsWith("judge:", manifest.GetProperty("scorer").GetString());
            Assert.Equal(5, manifest.GetProperty("decidedBy").GetProperty("threshold").GetInt64());
            Assert.True(manifest.GetProperty("weights").GetBoolean());
        }
        await lead.Context.CloseAsync();
        await annotator.Context.CloseAsync();
    }

    [Fact]
    public async Task ALeadReadsTheJudgesPrompt_SavesAnEditAsANewVersion_AndIsToldWhatABrokenOneLacks()
    {
        var datasetId = await fixture.NewDatasetAsync("prompted", Bus(await fixture.StoreImageAsync(4), "What colour is the bus?", "The bus is red.", "The bus is blue."));

        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.SetViewportSizeAsync(1440, 900);
        await lead.GotoAsync($"/datasets/{datasetId}/triage");
        await BrowserSession.WaitForCircuitAsync(lead);
        await Assertions.Expect(lead.GetByTestId("judge-template-origin")).ToHaveTextAsync("built in");
        await lead.GetByTestId("judge-template-edit").ClickAsync();
        var system = lead.Locator("textarea[data-testid=judge-template-system], [data-testid=judge-template-system] textarea");
        await Assertions.Expect(system).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^You judge answers to questions about images"));
        await system.FillAsync((await system.InputValueAsync()) + " Count the buses first.");
        await lead.Locator("[aria-labelledby=judge-title]").ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-judge-template.png") });
        await lead.GetByTestId("judge-template-save").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync($"Saved dataset{datasetId}-v1");
        await Assertions.Expect(lead.GetByTestId("judge-template-origin")).ToContainTextAsync($"edited from pairwise-v1 by {BpoAppFactory.LeadEmail}");

        // A version that could not judge is refused, naming what it lacks; nothing is saved.
        await lead.GetByTestId("judge-template-edit").ClickAsync();
        var user = lead.Locator("textarea[data-testid=judge-template-user], [data-testid=judge-template-user] textarea");
        await user.FillAsync((await user.InputValueAsync()).Replace("{b}", "the other answer"));
        await lead.GetByTestId("judge-template-save").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("judge-error")).ToContainTextAsync("The user text has no {b}");
        await using (var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            Assert.Equal(1, await db.JudgeTemplates.CountAsync(t => t.DatasetId == datasetId));
        await lead.SetViewportSizeAsync(390, 844);
        await lead.WaitForTimeoutAsync(500); // the drawer closes with a transition
        await lead.Locator("[aria-labelledby=judge-title]").ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-judge-template-390.png") });
        Assert.True(await lead.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the Triage page scrolls sideways at 390 px");
        await lead.Context.CloseAsync();
    }

    [Fact]
    public async Task ALeadRunsClaimsMode_AndAnAnnotatorSeesTheFalseClaimAsASuggestedErrorSpan()
    {
        var datasetId = await fixture.NewDatasetAsync("claims", Bus(await fixture.StoreImageAsync(4), "Describe the bus.", "The bus is red. It is parked.", "The bus is parked. The bus is blue."));

        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.GotoAsync($"/datasets/{datasetId}/triage");
        await BrowserSession.WaitForCircuitAsync(lead);
        await lead.GetByTestId("judge-mode").ClickAsync();
        await lead.GetByRole(AriaRole.Option, new() { Name = "Claims: each sentence of the negative, yes or no" }).ClickAsync();
        await lead.GetByTestId("judge-price").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("judge-price-result")).ToContainTextAsync("1 pairs, 2 calls");
        await lead.GetByTestId("judge-run").ClickAsync();
        await WaitAsync(async db => await db.ClaimChecks.CountAsync(c => c.DatasetId == datasetId) == 2, "both claims are checked");

        var annotator = await fixture.NewAnnotatorPageAsync();
        await annotator.GotoAsync($"/review/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(annotator);
        await Assertions.Expect(annotator.Locator(".span-chip.suggested")).ToHaveTextAsync("Suggested: “The bus is blue.” · other (the judge: false, The bus in the image is red.)");
        await annotator.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-judge-claims.png"), FullPage = true });
        await lead.Context.CloseAsync();
        await annotator.Context.CloseAsync();
    }

    /// <summary>A sample with its image, a ground-truth answer and one negative.</summary>
    private static Sample Bus(string imageHash, string prompt, string chosen, string rejected)
    {
        var sample = new Sample { ImageHash = imageHash, Prompt = prompt, Source = new SourceProvenance { File = "test" } };
        sample.Responses.Add(new Response { Text = chosen, Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        sample.Responses.Add(new Response { Text = rejected, Kind = ResponseKind.LlmHal, Score = 0, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        return sample;
    }

    private async Task WaitAsync(Func<BpoDbContext, Task<bool>> done, string what)
    {
        for (var i = 0; i < 300; i++)
        {
            await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
            if (await done(db)) return;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting until {what}");
    }
}
