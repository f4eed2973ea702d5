using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Feedback;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class RatingBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ALeadAddsAnAspectAndSetsSeverityWeights_ThenAnAnnotatorRatesTheNegativeOnIt()
    {
        var services = fixture.App.Services;
        var negative = new Response { Text = "Three cups.", Kind = ResponseKind.MllmHal, Score = 0, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } };
        var sample = new Sample { Prompt = "What is on the table?", Source = new SourceProvenance { File = "test" } };
        sample.Responses.Add(new Response { Text = "Two cups and a plate.", Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        sample.Responses.Add(negative);
        var datasetId = await fixture.NewDatasetAsync("ratings", sample);
        var negativeId = negative.Id;

        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.GotoAsync($"/datasets/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(lead);
        await lead.GetByText("Rating aspects", new() { Exact = true }).ClickAsync();
        await lead.GetByLabel("New aspect").FillAsync("Visual Faithfulness");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Add aspect" }).ClickAsync();
        await Assertions.Expect(lead.GetByText("Visual Faithfulness: 1 to 5")).ToBeVisibleAsync();
        await lead.GetByText("Error severity weights", new() { Exact = true }).ClickAsync();
        await lead.GetByLabel("Critical").FillAsync("3");
        await lead.GetByLabel("Critical").PressAsync("Tab");
        // The caption is computed on the server, so it shows the circuit has the new weight before Save is pressed.
        await Assertions.Expect(lead.GetByText("one critical and one minor error weigh 4.5")).ToBeVisibleAsync();
        await lead.GetByRole(AriaRole.Button, new() { Name = "Save weights" }).ClickAsync();
        // CI's two cores run the other test collections beside this one; a save there once took longer than 5 s.
        await Assertions.Expect(lead.GetByText("Severity weights saved")).ToBeVisibleAsync(new() { Timeout = 15_000 });

        var page = await fixture.NewAnnotatorPageAsync();
        await page.GotoAsync($"/review/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(page);
        var ratings = page.GetByTestId("ratings-rejected");
        await Assertions.Expect(ratings).ToContainTextAsync("Visual Faithfulness: N/A");
        await ratings.GetByRole(AriaRole.Button, new() { Name = "Edit ratings" }).ClickAsync();
        await page.GetByLabel("Visual Faithfulness", new() { Exact = true }).Last.FillAsync("2");
        await page.GetByLabel("Why (Visual Faithfulness)").Last.FillAsync("There are two cups, not three.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the Visual Faithfulness rating" }).Last.ClickAsync();
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("Saved the rejected answer's Visual Faithfulness rating: 2");
        await Assertions.Expect(ratings).ToContainTextAsync("Visual Faithfulness: 2");
        await page.ScreenshotAsync(new() { Path = "/tmp/shot-ratings.png" });

        await using var check = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var rating = await check.ResponseRatings.Where(r => r.ResponseId == negativeId).OrderBy(r => r.Id).LastAsync();
        Assert.Equal(("Visual Faithfulness", 2.0, "There are two cups, not three."), (rating.Aspect, rating.Value!.Value, rating.Rationale!));
        Assert.Equal(3, (await check.Datasets.SingleAsync(d => d.Id == datasetId)).CriticalErrorWeight);
    }
}
