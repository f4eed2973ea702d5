using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ReviewBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task AnnotatorReviewsWithKeyboardAlone_AndDatabaseRecordsIt()
    {
        var page = await fixture.SignedInPageAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Review Demo shapes" }).ClickAsync();
        await BrowserSession.WaitForCircuitAsync(page);
        var pair = page.Locator("[data-testid=pair]");
        await Assertions.Expect(pair).ToHaveAttributeAsync("data-keyboard", "ready");

        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-review.png") });
        var accepted = await PressAndWaitForNextPairAsync(page, "a");
        var rejected = await PressAndWaitForNextPairAsync(page, "r");

        var edited = long.Parse((await pair.GetAttributeAsync("data-pair-id"))!);
        await page.Keyboard.PressAsync("e");
        var editor = page.Locator("#edit-text");
        await Assertions.Expect(editor).ToBeFocusedAsync();
        // Keys typed into the editor must not act as shortcuts.
        await editor.FillAsync("");
        await page.Keyboard.TypeAsync("A rather different answer");
        await page.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(page.GetByTestId("review-message")).ToContainTextAsync("Edit saved");
        await Assertions.Expect(page.GetByTestId("negative-card").First).ToContainTextAsync("rather different");

        await page.Keyboard.PressAsync("u");
        await Assertions.Expect(page.GetByTestId("review-message")).ToContainTextAsync("Undone");
        await Assertions.Expect(page.GetByTestId("negative-card").First).Not.ToContainTextAsync("rather different");

        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" })).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" })).Not.ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("my-progress")).ToContainTextAsync("You: 2 decisions");

        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(PairStatus.Accepted, (await db.Pairs.SingleAsync(p => p.Id == accepted)).Status);
        Assert.Equal(PairStatus.Rejected, (await db.Pairs.SingleAsync(p => p.Id == rejected)).Status);
        var editedPair = await db.Pairs.Include(p => p.RejectedResponse).SingleAsync(p => p.Id == edited);
        Assert.Equal(PairStatus.Pending, editedPair.Status);
        Assert.Null(editedPair.RejectedResponse!.PreviousVersionId);
        var actions = await db.ReviewEvents.Where(e => e.UserName == BpoAppFactory.AnnotatorEmail).OrderBy(e => e.Id).Select(e => e.Action).ToListAsync();
        Assert.Equal([ReviewAction.Accept, ReviewAction.Reject, ReviewAction.EditRejected, ReviewAction.Undo], actions);
        Assert.True(await db.Responses.AnyAsync(r => r.Text == "A rather different answer" && r.PreviousVersionId != null), "the edit is kept as a version");
    }

    private static async Task<long> PressAndWaitForNextPairAsync(IPage page, string key)
    {
        var pair = page.Locator("[data-testid=pair]");
        var before = (await pair.GetAttributeAsync("data-pair-id"))!;
        await page.Keyboard.PressAsync(key);
        await Assertions.Expect(pair).Not.ToHaveAttributeAsync("data-pair-id", before);
        return long.Parse(before);
    }
}
