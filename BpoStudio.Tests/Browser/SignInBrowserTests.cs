using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class SignInBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task SignInLandsOnStyledDatasetList()
    {
        var page = await fixture.Browser.NewPageAsync(fixture.App.BaseAddress);
        await page.GotoAsync("/");
        Assert.Contains("/account/login", page.Url);

        await BrowserSession.SignInAsync(page, BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Datasets" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = DemoSeeder.DatasetName, Exact = true })).ToBeVisibleAsync();
        // MudBlazor's stylesheet applied: the app bar is a fixed, coloured bar, not unstyled markup.
        var appBar = page.Locator(".mud-appbar");
        Assert.Equal("fixed", await appBar.EvaluateAsync<string>("e => getComputedStyle(e).position"));
        Assert.NotEqual("rgba(0, 0, 0, 0)", await appBar.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-datasets.png") });
    }

    [Fact]
    public async Task WrongPasswordShowsError_AndStaysOnSignIn()
    {
        var page = await fixture.Browser.NewPageAsync(fixture.App.BaseAddress);
        await page.GotoAsync("/account/login");
        await page.GetByLabel("Email").FillAsync(BpoAppFactory.AnnotatorEmail);
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("wrong");
        Assert.Contains("/account/login", page.Url);
    }

    [Fact]
    public async Task DarkModeToggle_SwitchesThemeAndPersists()
    {
        var page = await fixture.SignedInPageAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        var background = () => page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        var before = await background();

        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle dark mode" }).ClickAsync();
        await page.WaitForFunctionAsync("b => getComputedStyle(document.body).backgroundColor !== b", before);
        var dark = await background();

        await page.ReloadAsync();
        await BrowserSession.WaitForCircuitAsync(page);
        await page.WaitForFunctionAsync("b => getComputedStyle(document.body).backgroundColor === b", dark);
    }
}
