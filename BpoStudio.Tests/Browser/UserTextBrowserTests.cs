using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class UserTextBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ADatasetNameWithABidiOverride_IsIsolated_SoTheWordsAroundItKeepTheirOrder()
    {
        var datasetId = await fixture.NewDatasetAsync("x", new Core.Datasets.Sample { Prompt = "Q?", Source = new() { File = "f" } });
        await using (var db = await fixture.App.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Core.Data.BpoDbContext>>().CreateDbContextAsync())
            await db.Datasets.Where(d => d.Id == datasetId).ExecuteUpdateAsync(s => s.SetProperty(d => d.Name, "evil \u202Etxt.exe"));
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        foreach (var (path, heading) in new[] { ($"/datasets/{datasetId}", "h1 bdi"), ($"/datasets/{datasetId}/triage", "h1 bdi"), ($"/datasets/{datasetId}/dashboard", "h1 bdi") })
        {
            await page.GotoAsync(path);
            await BrowserSession.WaitForCircuitAsync(page);
            await Assertions.Expect(page.Locator(heading)).ToHaveTextAsync("evil \u202Etxt.exe");
        }
        await page.Context.CloseAsync();
    }
}
