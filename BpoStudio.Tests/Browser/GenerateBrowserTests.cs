using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class GenerateBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LeadLaunchesModelFreeJob_AndWatchesItComplete()
    {
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Generate" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Generate negatives" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Launch job" }).ClickAsync();

        var status = page.Locator("[data-testid^=job-status-]").First;
        await Assertions.Expect(status).ToHaveTextAsync("Completed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByText("139 of 139 samples").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-generate.png") });

        // Edits per negative belongs to the model-free injector; an image pair has no edits to count.
        await Assertions.Expect(page.GetByTestId("max-edits")).ToBeVisibleAsync();
        await page.GetByTestId("method").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "image-pair:pixelate" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("max-edits")).ToHaveCountAsync(0);

        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var job = await db.Jobs.OrderByDescending(j => j.Id).FirstAsync();
        Assert.Equal((JobStatus.Completed, BpoAppFactory.LeadEmail), (job.Status, job.CreatedBy));
    }
}
