using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class AuditBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task OnAPhone_AnAuditEntryIsAShortCard_WithItsDetailsOnScreen()
    {
        await using (var scope = fixture.App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<Core.Audit.AuditLog>().WriteAsync("lead@example.test", "review.assign", "dataset 1",
                "a.long.annotator.address@example.test: 1,234, another.annotator.with.a.long.name@example.test: 1,233");
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/audit");
        await BrowserSession.WaitForCircuitAsync(page);
        var details = page.GetByTestId("audit-details").First;
        await Assertions.Expect(details).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-audit-390.png") });

        var row = await page.Locator(".audit-table tbody tr").First.BoundingBoxAsync();
        var box = await details.BoundingBoxAsync();
        Assert.True(row!.Height < 420, $"an entry is {row.Height} px tall on a phone");
        Assert.True(box!.X >= 0 && box.X + box.Width <= 390, $"the details span {box.X}..{box.X + box.Width} px of 390");
        await page.Context.CloseAsync();
    }
}
