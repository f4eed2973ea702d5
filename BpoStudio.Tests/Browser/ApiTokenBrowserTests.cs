using System.Net;
using System.Net.Http.Headers;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

/// <summary>A lead makes a token on the page, a program uses it, the lead revokes it and the program is refused at once.</summary>
[Collection(BrowserCollection.Name)]
public class ApiTokenBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ALeadMakesATokenShownOnce_UsesItOnTheApi_AndRevokesIt()
    {
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GotoAsync("/tokens");
        await BrowserSession.WaitForCircuitAsync(page);
        await page.GetByLabel("What it is for").FillAsync("nightly push");
        await page.GetByTestId("create-token").ClickAsync();
        var secret = (await page.GetByTestId("token-secret").TextContentAsync())!.Trim();
        Assert.StartsWith("bpo_", secret);

        using var api = fixture.App.CreateAnonymousClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/datasets")).StatusCode);

        var row = page.GetByRole(AriaRole.Button, new() { Name = "Revoke nightly push" });
        await row.ClickAsync();
        await Assertions.Expect(page.GetByText("revoked", new() { Exact = false }).First).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByTestId("new-token").CountAsync()); // never shown again
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/datasets")).StatusCode);

        await page.ReloadAsync();
        await BrowserSession.WaitForCircuitAsync(page);
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await page.Context.CloseAsync();
    }
}
