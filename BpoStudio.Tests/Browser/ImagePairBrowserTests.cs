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
public class ImagePairBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task AnAnnotatorReviewsAnImagePair_TheTwoImagesSideBySide()
    {
        var services = fixture.App.Services;
        var imageHash = await fixture.StoreImageAsync(7);
        var sample = new Sample { ImageHash = imageHash, Prompt = "What colour is the circle?", Source = new SourceProvenance { File = "test" } };
        sample.Responses.Add(new Response { Text = "The circle is red.", Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        var datasetId = await fixture.NewDatasetAsync("image pairs", sample);
        var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod("image-pair:pixelate")], 3).Validated(services.GetRequiredService<LlmBackend>().AvailableMethods);
        var job = await services.GetRequiredService<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await services.GetRequiredService<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        var page = await fixture.NewAnnotatorPageAsync();
        await page.GotoAsync($"/review/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=pair]")).ToHaveAttributeAsync("data-keyboard", "ready");

        var pairView = page.GetByTestId("image-pair");
        await Assertions.Expect(pairView.GetByRole(AriaRole.Img, new() { Name = "original image (chosen side)" })).ToBeVisibleAsync();
        await Assertions.Expect(pairView.GetByRole(AriaRole.Img, new() { Name = "weakened image (rejected side)" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("weakening")).ToContainTextAsync("pixelate");
        await Assertions.Expect(page.GetByTestId("weakening")).ToContainTextAsync("seed");
        await Assertions.Expect(page.GetByTestId("image-frame")).ToHaveCountAsync(0);
        var images = await pairView.Locator("img").EvaluateAllAsync<bool[]>("imgs => imgs.map(i => i.complete && i.naturalWidth > 0)");
        Assert.Equal([true, true], images);
        await page.ScreenshotAsync(new() { Path = "/tmp/shot-image-pair.png" });

        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Swap" })).ToBeDisabledAsync();
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("s"); // the key reaches the service, which refuses with the reason
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("is an image pair");
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("Accepted");
        await using var check = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(PairStatus.Accepted, await check.Pairs.Where(p => p.DatasetId == datasetId).Select(p => p.Status).SingleAsync());
    }
}
