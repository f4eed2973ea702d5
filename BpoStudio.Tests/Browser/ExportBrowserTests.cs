using System.IO.Compression;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ExportBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LeadExports_AndDownloadsTheZip()
    {
        await using (var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.Where(p => p.Status == PairStatus.Pending).OrderBy(p => p.Id).Take(30)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Export" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Export" })).ToBeVisibleAsync();

        await page.GetByTestId("start-export").ClickAsync();

        await Assertions.Expect(page.Locator("[data-testid^=export-status-]").First).ToHaveTextAsync("Completed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid^=export-dataset-]").First).ToContainTextAsync("Demo shapes · ");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid^=download-]").First.ClickAsync());
        var zipPath = Path.Combine(Path.GetTempPath(), $"bpostudio-export-{Guid.NewGuid():N}.zip");
        await download.SaveAsAsync(zipPath);
        try
        {
            using var archive = ZipFile.OpenRead(zipPath);
            var names = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("manifest.json", names);
            Assert.Contains("train.jsonl", names);
            using var manifest = new StreamReader(archive.GetEntry("manifest.json")!.Open());
            // The form picks the newest approved version, or a draft when there is none (other tests in this app may have approved one).
            Assert.Contains("\"format\": \"trl\"", await manifest.ReadToEndAsync());
            using var data = new StreamReader(archive.GetEntry("train.jsonl")!.Open());
            Assert.False(string.IsNullOrWhiteSpace(await data.ReadLineAsync()));
        }
        finally
        {
            File.Delete(zipPath);
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-export.png") });

        // Other browser tests in this app may export too, so only this row is looked at.
        var id = (await page.Locator("[data-testid^=delete-]").First.GetAttributeAsync("data-testid"))!["delete-".Length..];
        await page.GetByTestId($"delete-{id}").ClickAsync(); // by its id: a first-row locator would follow a row that appeared meanwhile
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        // Under a loaded CI machine the delete and the list's reload can take longer than the default five seconds.
        try
        {
            await Assertions.Expect(page.GetByTestId($"export-status-{id}")).ToHaveTextAsync("Deleted", new() { Timeout = 20_000 });
        }
        finally
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-export-deleted.png") });
        }
        await Assertions.Expect(page.GetByTestId($"download-{id}")).ToHaveCountAsync(0);
    }
}
