using System.IO.Compression;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
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

        var id = await fixture.StartExportAsync(page);
        await Assertions.Expect(page.GetByTestId($"export-dataset-{id}")).ToContainTextAsync("Demo shapes · ");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId($"download-{id}").ClickAsync());
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

        await page.GetByTestId($"delete-{id}").ClickAsync(); // by its id: other browser tests in this app export too
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

    [Fact]
    public async Task BeforeExporting_TheLeadSeesWhatTheFormatWillLeaveOut_AndWhichFormatsCarryIt()
    {
        var services = fixture.App.Services;
        var imageHash = await fixture.StoreImageAsync(11);
        var sample = new Sample { ImageHash = imageHash, Prompt = "What colour is the circle?", Source = new SourceProvenance { File = "test" } };
        sample.Responses.Add(new Response { Text = "The circle is red.", Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        sample.Responses.Add(new Response { Text = "The circle is blue.", Kind = ResponseKind.LlmHal, Score = 0, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        var datasetId = await fixture.NewDatasetAsync("forecast", sample);
        var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod("image-pair:random-mask", 2)], 3).Validated(services.GetRequiredService<LlmBackend>().AvailableMethods);
        var job = await services.GetRequiredService<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await services.GetRequiredService<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        // The app's own worker may have claimed the job first: wait for it to finish either way.
        for (var wait = 0; (await services.GetRequiredService<JobService>().GetAsync(job.Id))!.Status != JobStatus.Completed; wait++)
        {
            Assert.True(wait < 300, "the image-pair job did not complete");
            await Task.Delay(100);
        }
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.Where(p => p.DatasetId == datasetId).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));

        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GotoAsync($"/export?dataset={datasetId}");
        await BrowserSession.WaitForCircuitAsync(page);
        var forecast = page.GetByTestId("export-forecast");
        await Assertions.Expect(forecast).ToContainTextAsync("trl will leave out 2 of 3 pairs:");
        await Assertions.Expect(forecast).ToContainTextAsync("2 image pairs (the same answer under a weakened image)");
        await Assertions.Expect(forecast).ToContainTextAsync("mdpo, svco carry them.");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-export-forecast.png") });

        await page.GetByTestId("export-format").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "S-VCO (chosen/rejected images and responses, JSON)" }).ClickAsync();
        await Assertions.Expect(forecast).ToHaveTextAsync("svco holds all 3 pairs to export.");
        await Assertions.Expect(page.GetByTestId("export-max-length")).ToBeVisibleAsync();
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-export-forecast-390.png"), FullPage = true });
        await page.Context.CloseAsync();
    }
}
