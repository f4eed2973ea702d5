using BpoStudio.Core;
using BpoStudio.Core.Generation;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ModelsBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LeadSeesAModelFolder_ItsProvider_AndStreamsAnAnswer()
    {
        var models = fixture.App.Services.GetRequiredService<DataPaths>().Models;
        SyntheticModels.WriteSmolVlmFolder(Path.Combine(models, "tiny-vlm"), new SyntheticModelSize(), seed: 2);
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Models" }).ClickAsync();

        await page.GetByTestId("model-tiny-vlm").ClickAsync();
        await Assertions.Expect(page.GetByTestId("provider")).ToContainTextAsync("CPU");
        await Assertions.Expect(page.GetByTestId("kv-cache")).ToHaveTextAsync("KV cache in host memory");
        await page.GetByLabel("Prompt").FillAsync("is the cat red?");
        await page.GetByTestId("try-run").ClickAsync();

        await Assertions.Expect(page.GetByTestId("try-rate")).ToContainTextAsync("tokens/s", new() { Timeout = 20_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-models.png") });
    }
}
