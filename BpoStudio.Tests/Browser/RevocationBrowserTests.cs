using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class RevocationBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LockingAnAnnotator_EndsTheirOpenReviewCircuit_WithinTheRevalidationInterval()
    {
        UserSummary user;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
            user = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .CreateAsync($"{Guid.NewGuid():N}@example.test", BpoAppFactory.UserPassword, [Roles.Annotator], TestPrincipals.Admin);
        var page = await fixture.SignedInPageAsync(user.Email, BpoAppFactory.UserPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Review Demo shapes" }).ClickAsync();
        await BrowserSession.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=pair]")).ToHaveAttributeAsync("data-keyboard", "ready");

        var locked = DateTime.UtcNow;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<UserAdministration>().SetLockedAsync(user.Id, true, TestPrincipals.Admin);

        // The open page neither reloads nor is touched: the circuit itself notices and sends the user to sign in.
        await page.WaitForURLAsync("**/account/login**", new() { Timeout = 30_000 });
        Assert.True(DateTime.UtcNow - locked < TimeSpan.FromSeconds(30));
        await Assertions.Expect(page.GetByLabel("Email")).ToBeVisibleAsync();
    }
}
