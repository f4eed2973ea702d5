using System.Text.RegularExpressions;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ReviewKeysBrowserTests(BrowserFixture fixture)
{
    private async Task<(IPage Page, UserSummary User)> ReviewAsNewAnnotatorAsync()
    {
        UserSummary user;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
            user = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .CreateAsync($"{Guid.NewGuid():N}@example.test", BpoAppFactory.UserPassword, [Roles.Annotator], TestPrincipals.Admin);
        var page = await fixture.SignedInPageAsync(user.Email, BpoAppFactory.UserPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Review Demo shapes" }).ClickAsync();
        await BrowserSession.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=pair]")).ToHaveAttributeAsync("data-keyboard", "ready");
        return (page, user);
    }

    [Fact]
    public async Task TheFilterBar_IsFoldedUntilOpened_StaysOpenOnTheNextPair_AndCountsTheFiltersOn()
    {
        var (page, _) = await ReviewAsNewAnnotatorAsync();
        var toggle = page.GetByTestId("filters-toggle");
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
        await Assertions.Expect(page.GetByTestId("filter-mine")).ToHaveCountAsync(0); // its fields exist only while open

        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
        var first = await page.GetByTestId("pair").GetAttributeAsync("data-pair-id");
        // Moving on (a skip: deciding would take a pair of the demo dataset the other tests here expect undecided).
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("j");
        await Assertions.Expect(page.GetByTestId("pair")).Not.ToHaveAttributeAsync("data-pair-id", first!);
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true"); // the next pair does not re-render the bar

        await page.GetByTestId("filter-mine").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "My rejected" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("queue-empty")).ToContainTextAsync("No pairs match these filters");
        await Assertions.Expect(toggle).ToContainTextAsync("Filters (1 on)");
        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
        await Assertions.Expect(toggle).ToContainTextAsync("Filters (1 on)"); // folded, the filter still applies and says so
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheWorkspaceWorksByKeyboardAlone_FocusIsKeptAndDecisionsAreAnnounced()
    {
        var (page, _) = await ReviewAsNewAnnotatorAsync();

        // The skip link comes before every other control, and Enter on it lands in the main content.
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>(
            "() => document.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex=\"-1\"])').textContent.trim()"));
        await page.Locator(".skip-link").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#main-content")).ToBeFocusedAsync();

        // Zoom and pan with the image frame focused; the arrows pan instead of changing the pair.
        var pairId = await page.GetByTestId("pair").GetAttributeAsync("data-pair-id");
        await page.GetByTestId("image-frame").FocusAsync();
        await page.Keyboard.PressAsync("+");
        await page.Keyboard.PressAsync("+");
        await Assertions.Expect(page.GetByTestId("image-frame")).ToHaveAttributeAsync("data-zoom", "1.56");
        var pan = (await page.GetByTestId("image-frame").GetAttributeAsync("data-pan"))!.Split(',').Select(int.Parse).ToArray();
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.GetByTestId("image-frame")).ToHaveAttributeAsync("data-pan", $"{pan[0] - 40},{pan[1]}");
        Assert.Equal(pairId, await page.GetByTestId("pair").GetAttributeAsync("data-pair-id"));
        await page.Keyboard.PressAsync("0");
        await Assertions.Expect(page.GetByTestId("image-frame")).ToHaveAttributeAsync("data-zoom", "1.00");
        // Zoomed in, then on to the next pair (below): the next image starts at its fit.
        await page.Keyboard.PressAsync("+");
        await Assertions.Expect(page.GetByTestId("image-frame")).ToHaveAttributeAsync("data-zoom", "1.25");

        // A decision by key: announced politely, and focus moves to the next pair rather than being lost. (Pairs at
        // the head of the demo queue belong to the other tests here: skip past them first.)
        await page.Locator("#review-workspace").FocusAsync();
        for (var i = 0; i < 8; i++)
        {
            await page.Keyboard.PressAsync("j");
            await Assertions.Expect(page.GetByTestId("pair")).Not.ToHaveAttributeAsync("data-pair-id", pairId!);
            pairId = await page.GetByTestId("pair").GetAttributeAsync("data-pair-id");
        }
        await Assertions.Expect(page.GetByTestId("image-frame")).ToHaveAttributeAsync("data-zoom", "1.00");
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(page.GetByTestId("pair")).Not.ToHaveAttributeAsync("data-pair-id", pairId!);
        await Assertions.Expect(page.GetByTestId("announcer")).ToHaveTextAsync("Accepted");
        await Assertions.Expect(page.Locator("#review-workspace")).ToBeFocusedAsync();

        // The help dialog traps Tab and gives focus back when closed.
        await page.Keyboard.PressAsync("?");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Close" })).ToBeFocusedAsync();
        await dialog.GetByRole(AriaRole.Heading, new() { Name = "Keyboard shortcuts" }).ClickAsync(); // a click inside does not close it
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).FocusAsync();
        for (var i = 0; i < 3; i++) await page.Keyboard.PressAsync("Tab");
        Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('keyboard-help').contains(document.activeElement)"));
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#review-workspace")).ToBeFocusedAsync();

        // Editing by keyboard: E opens the box focused, Esc closes it and focus returns to the workspace.
        await page.Keyboard.PressAsync("e");
        await Assertions.Expect(page.Locator("#edit-text")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#edit-text")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#review-workspace")).ToBeFocusedAsync();
    }

    [Fact]
    public async Task NumberKeysSelectANegative_WithoutRenumberingTheCards()
    {
        var (page, _) = await ReviewAsNewAnnotatorAsync();
        var cards = page.GetByTestId("negative-card");
        var diffs = cards.Locator("[data-testid=diff]");
        var before = await diffs.AllInnerTextsAsync();
        Assert.True(before.Count >= 2, "the demo gives every sample two negatives");
        await Assertions.Expect(cards.Nth(0)).ToHaveClassAsync(new Regex("selected"));

        await page.Keyboard.PressAsync("2");

        await Assertions.Expect(cards.Nth(1)).ToHaveClassAsync(new Regex("selected"));
        await Assertions.Expect(cards.Nth(0)).Not.ToHaveClassAsync(new Regex("selected"));
        Assert.Equal(before, await diffs.AllInnerTextsAsync()); // the same negatives under the same numbers
        Assert.Equal(["1", "2"], (await cards.Locator("kbd").AllInnerTextsAsync()).Take(2));
        await page.Keyboard.PressAsync("1");
        await Assertions.Expect(cards.Nth(0)).ToHaveClassAsync(new Regex("selected"));
    }

    [Fact]
    public async Task ARejectReason_BelongsToItsPair_AndIsNotCarriedToTheNext()
    {
        var (page, user) = await ReviewAsNewAnnotatorAsync();
        await page.GetByLabel("Reject reason").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = RejectReasons.All[2] }).ClickAsync();
        await page.GetByTestId("prompt").ClickAsync(); // focus off the select, so keys act
        await page.Keyboard.PressAsync("r");
        await Assertions.Expect(page.GetByTestId("my-progress")).ToContainTextAsync("You: 1 decision");
        await page.Keyboard.PressAsync("r");
        await Assertions.Expect(page.GetByTestId("my-progress")).ToContainTextAsync("2 decisions");

        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var reasons = await db.ReviewEvents.Where(e => e.UserId == user.Id).OrderBy(e => e.Id).Select(e => e.Reason).ToListAsync();
        Assert.Equal([RejectReasons.All[2], null], reasons);
    }

    [Fact]
    public async Task OnAPhone_TheActionsAndSignOutAreInReach_AndNothingScrollsSideways()
    {
        var (page, _) = await ReviewAsNewAnnotatorAsync();
        await page.SetViewportSizeAsync(390, 844);
        await page.ReloadAsync(); // as a phone opens it, not a desktop window narrowed
        await BrowserSession.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=pair]")).ToHaveAttributeAsync("data-keyboard", "ready");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-review-390.png") });

        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Accept" })).ToBeInViewportAsync(); // key hints fold away on a phone
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true })).ToBeInViewportAsync();
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        Assert.True(widths[0] <= widths[1], $"the page is {widths[0]} px wide in a {widths[1]} px window");
        await Assertions.Expect(page.GetByTestId("filters-toggle")).ToHaveAttributeAsync("aria-expanded", "false"); // folded away
        await Assertions.Expect(page.GetByLabel("Status")).ToHaveCountAsync(0);
    }
}
