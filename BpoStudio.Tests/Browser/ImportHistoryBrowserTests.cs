using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Import;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ImportHistoryBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ADatasetListsItsImports_LongAfterTheImportPage_AndRollsOneBack()
    {
        var services = fixture.App.Services;
        var imports = services.GetRequiredService<ImportService>();
        var name = $"history-{Guid.NewGuid():N}"[..16];
        object Turns(string q, string a) => new[] { new { from = "human", value = q }, new { from = "gpt", value = a }, new { from = "human", value = q + " Again?" }, new { from = "gpt", value = a } };
        var json = JsonSerializer.Serialize(new object[] { new { id = "a", conversations = Turns("Hello?", "Hi.") }, new { id = "b", conversations = Turns("Bye?", "Bye.") } });
        string file;
        await using (var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)))
            file = await imports.SaveUploadAsync(content, "chat.json", TestPrincipals.Lead);
        var job = await imports.StartAsync(new ImportJobParameters(file, name, null, null, null), TestPrincipals.Lead);
        var jobs = services.GetRequiredService<JobService>();
        for (var i = 0; i < 200 && (await jobs.GetAsync(job.Id))!.Status is not JobStatus.Completed; i++) await Task.Delay(100);
        int datasetId;
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            datasetId = await db.Datasets.Where(d => d.Name == name).Select(d => d.Id).SingleAsync();

        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GotoAsync($"/datasets/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(page);
        var result = page.GetByTestId($"import-result-{job.Id}");
        await Assertions.Expect(result).ToContainTextAsync("2 records read, 4 samples imported");
        await Assertions.Expect(page.GetByTestId($"import-{job.Id}")).ToContainTextAsync("chat.json");

        // Reviewed pairs arm the button; Cancel disarms it.
        await using (var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            // LLaVA records bring answers only: give one sample a negative and an accepted pair.
            var sample = await db.Samples.Include(x => x.Responses).FirstAsync(x => x.DatasetId == datasetId);
            var negative = new Core.Datasets.Response { SampleId = sample.Id, Text = "Something else.", Kind = Core.Datasets.ResponseKind.LlmHal, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } };
            db.Responses.Add(negative);
            await db.SaveChangesAsync();
            db.Pairs.Add(new Core.Datasets.PreferencePair { DatasetId = datasetId, SampleId = sample.Id, ChosenResponseId = sample.Responses[0].Id, RejectedResponseId = negative.Id, Status = Core.Datasets.PairStatus.Accepted });
            await db.SaveChangesAsync();
        }
        await page.GetByTestId($"rollback-{job.Id}").ClickAsync();
        await Assertions.Expect(page.GetByTestId($"rollback-{job.Id}")).ToHaveTextAsync("Roll back anyway");
        await page.GetByTestId($"rollback-cancel-{job.Id}").ClickAsync();
        await Assertions.Expect(page.GetByTestId($"rollback-{job.Id}")).ToHaveTextAsync("Roll back");
        await page.GetByTestId($"rollback-{job.Id}").ClickAsync();
        await page.GetByTestId($"rollback-{job.Id}").ClickAsync(); // anyway

        await Assertions.Expect(result).ToHaveTextAsync("rolled back");
        await using var check = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await check.Samples.CountAsync(s => s.DatasetId == datasetId));
    }
}
