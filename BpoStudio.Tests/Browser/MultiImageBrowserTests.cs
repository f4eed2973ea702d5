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
public class MultiImageBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task AnAnnotatorLooksThroughASamplesImages_ByMouseAndKeyboard_ThenReviewsItsImagePairOnTheWeakenedImage()
    {
        var services = fixture.App.Services;
        var hashes = new List<string>();
        foreach (var scene in new[] { 2, 5, 9 }) hashes.Add(await fixture.StoreImageAsync(scene));
        var sample = new Sample { ImageHash = hashes[0], MoreImageHashes = hashes[1..], Prompt = "Which image has the most shapes?", Source = new SourceProvenance { File = "test" } };
        sample.Responses.Add(new Response { Text = "The third image.", Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        sample.Responses.Add(new Response { Text = "The first image.", Kind = ResponseKind.LlmHal, Score = 0, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        var datasetId = await fixture.NewDatasetAsync("multi image", sample);
        var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod("image-pair:pixelate")], 3, WeakenImage: 2)
            .Validated(services.GetRequiredService<LlmBackend>().AvailableMethods);
        var job = await services.GetRequiredService<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await services.GetRequiredService<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        var page = await fixture.NewAnnotatorPageAsync();
        // The strip passes the same accessibility rules as every page.
        var violations = await AccessibilityBrowserTests.ViolationsAsync(page, $"/review/{datasetId}", dark: false, interactive: true);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        await Assertions.Expect(page.Locator("[data-testid=pair]")).ToHaveAttributeAsync("data-keyboard", "ready");

        // The text pair: the frame shows image 1; the strip picks another by mouse, then by keyboard.
        var frameImage = page.GetByTestId("image-frame").Locator("img");
        await Assertions.Expect(frameImage).ToHaveAttributeAsync("src", $"/images/{hashes[0]}");
        var strip = page.GetByTestId("image-strip");
        await Assertions.Expect(strip.GetByRole(AriaRole.Button)).ToHaveCountAsync(3);
        await strip.GetByRole(AriaRole.Button, new() { Name = "Image 2 of 3" }).ClickAsync();
        await Assertions.Expect(frameImage).ToHaveAttributeAsync("src", $"/images/{hashes[1]}");
        await Assertions.Expect(frameImage).ToHaveAttributeAsync("alt", "sample image 2 of 3");
        await strip.GetByRole(AriaRole.Button, new() { Name = "Image 3 of 3" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(frameImage).ToHaveAttributeAsync("src", $"/images/{hashes[2]}");
        await Assertions.Expect(strip.GetByRole(AriaRole.Button, new() { Name = "Image 3 of 3" })).ToHaveAttributeAsync("aria-pressed", "true");
        await page.ScreenshotAsync(new() { Path = "/tmp/shot-multi-image.png" });
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("Accepted");

        // The image pair opens on the image it weakened, marked in the strip, with the original beside it.
        var pairView = page.GetByTestId("image-pair");
        await Assertions.Expect(pairView).ToBeVisibleAsync();
        await Assertions.Expect(pairView.GetByRole(AriaRole.Img, new() { Name = "original image (chosen side)" })).ToHaveAttributeAsync("src", $"/images/{hashes[1]}/thumbnail/1024");
        await Assertions.Expect(pairView).ToContainTextAsync("image 2 of 3");
        await Assertions.Expect(page.GetByTestId("image-strip").GetByRole(AriaRole.Button, new() { Name = "Image 2 of 3, weakened on the rejected side" })).ToHaveAttributeAsync("aria-pressed", "true");
        await page.ScreenshotAsync(new() { Path = "/tmp/shot-multi-image-pair.png" });
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(page.GetByTestId("queue-empty")).ToBeVisibleAsync();
        await using var check = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.All(await check.Pairs.Where(p => p.DatasetId == datasetId).Select(p => p.Status).ToListAsync(), s => Assert.Equal(PairStatus.Accepted, s));
    }
}
