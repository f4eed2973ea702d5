using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class LeadBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LeadResolvesAFlag_ApprovesAVersion_AndSeesItsHash()
    {
        var services = fixture.App.Services;
        long flaggedId;
        int datasetId;
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            // The demo dataset's: other browser tests in this app add datasets of their own.
            var pair = await db.Pairs.Where(p => p.Status == PairStatus.Pending && db.Datasets.Any(d => d.Id == p.DatasetId && d.Name == Core.Datasets.Demo.DemoSeeder.DatasetName))
                .OrderByDescending(p => p.Id).FirstAsync();
            (flaggedId, datasetId) = (pair.Id, pair.DatasetId);
            await services.GetRequiredService<ReviewService>().FlagAsync(pair.Id, pair.RowVersion, TestPrincipals.Reviewer("someone", "someone@example.test"), "is the negative really wrong?");
        }
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GotoAsync($"/datasets/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();

        var card = page.GetByTestId($"resolvable-{flaggedId}");
        await Assertions.Expect(card).ToContainTextAsync("is the negative really wrong?");
        await card.GetByLabel("Lead note").FillAsync("negative is plausible and wrong");
        await card.GetByRole(AriaRole.Button, new() { Name = "Accept (final)" }).ClickAsync();
        await Assertions.Expect(card).ToContainTextAsync("Resolved: accepted");

        await page.GetByRole(AriaRole.Link, new() { Name = "Versions" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "versions" })).ToBeVisibleAsync();
        await page.GetByLabel("Approval notes").FillAsync("first cut");
        await page.GetByTestId("approve-version").ClickAsync();

        await Assertions.Expect(page.Locator("[data-testid^=version-hash-]").First).ToBeVisibleAsync();
        var version = (await services.GetRequiredService<ApprovalService>().ListAsync(datasetId)).First();
        await Assertions.Expect(page.GetByTestId($"version-hash-{version.Number}")).ToHaveTextAsync(version.ContentHash[..12]);
        await Assertions.Expect(page.GetByTestId($"version-hash-{version.Number}")).ToHaveAttributeAsync("data-hash", version.ContentHash);
        Assert.Equal("first cut", version.Notes);
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var resolved = await db.Pairs.SingleAsync(p => p.Id == flaggedId);
            Assert.Equal((PairStatus.Accepted, BpoAppFactory.LeadEmail), (resolved.Status, resolved.ResolvedBy));
            Assert.True(await db.DatasetVersionItems.AnyAsync(i => i.DatasetVersionId == version.Id && i.PairId == flaggedId));
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-versions.png") });
    }
}
