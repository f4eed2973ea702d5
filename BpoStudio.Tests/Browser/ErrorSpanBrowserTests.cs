using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Feedback;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ErrorSpanBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task AnAnnotatorMarksTwoErrorSpansByKeyboard_ThenKeepsASuggestion_AndSelectsOneWithTheMouse_AndClicksAWord()
    {
        var services = fixture.App.Services;
        var negative = new Response
        {
            Text = "A blue bus is parked near three tall trees.", Kind = ResponseKind.LlmHal, Score = 0, CreatedAt = DateTime.UtcNow,
            Provenance = new() { Method = "model-free-injection", ChangedSpansJson = """[{"Start":26,"Length":5,"Original":"two","Replacement":"three","Category":2}]""" },
        };
        var sample = new Sample { Prompt = "Describe the street.", Source = new SourceProvenance { File = "test" } };
        sample.Responses.Add(new Response { Text = "A red bus is parked near two trees.", Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        sample.Responses.Add(negative);
        var datasetId = await fixture.NewDatasetAsync("spans", sample);
        var rejectedId = negative.Id;
        var page = await fixture.NewAnnotatorPageAsync();
        await page.GotoAsync($"/review/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=pair]")).ToHaveAttributeAsync("data-keyboard", "ready");
        var panel = page.GetByTestId("error-spans");
        await Assertions.Expect(panel.GetByTestId("span-suggestion")).ToContainTextAsync("“three” · count");

        // "blue" by keyboard: M, the cursor one word on, X; then "tall" as an attribute, minor.
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("m");
        await Assertions.Expect(page.GetByTestId("mark-errors")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.GetByTestId("span-selection")).ToContainTextAsync("“blue”");
        await page.Keyboard.PressAsync("t"); // object -> attribute
        await page.Keyboard.PressAsync("x");
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("Marked “blue” as attribute, major");
        for (var i = 0; i < 6; i++) await page.Keyboard.PressAsync("ArrowRight"); // A blue bus is parked near three [tall]
        await page.Keyboard.PressAsync("Shift+ArrowRight"); // ... tall trees.
        await Assertions.Expect(page.GetByTestId("span-selection")).ToContainTextAsync("“tall trees.”");
        await page.Keyboard.PressAsync("Shift+ArrowLeft");
        await page.Keyboard.PressAsync("v"); // major -> critical
        await page.Keyboard.PressAsync("v"); // critical -> minor
        await page.Keyboard.PressAsync("x");
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("Marked “tall” as attribute, minor");
        // The injector's suggestion at the cursor's left: Y keeps it, with its own type and the severity chosen now.
        await page.Keyboard.PressAsync("ArrowLeft");
        await page.Keyboard.PressAsync("y");
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("Kept the suggestion “three” as count, minor");
        await Assertions.Expect(panel.GetByTestId("error-span")).ToHaveCountAsync(3);
        await Assertions.Expect(panel.GetByTestId("span-suggestion")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = "/tmp/shot-error-spans.png" });
        var violations = await AccessibilityBrowserTests.ViolationsHereAsync(page, "review, marking errors");
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        // A stray A while marking does not accept the pair; Esc leaves marking.
        await page.Keyboard.PressAsync("a");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.GetByTestId("mark-errors")).ToHaveAttributeAsync("aria-pressed", "false");

        // The mouse: selecting "parked near" over the words selects those words for marking.
        var words = panel.GetByTestId("span-text").Locator("[data-word]");
        var parked = await words.Nth(4).BoundingBoxAsync();
        var near = await words.Nth(5).BoundingBoxAsync();
        await page.Mouse.MoveAsync(parked!.X + 1, parked.Y + parked.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(near!.X + near.Width - 1, near.Y + near.Height / 2, new() { Steps = 5 });
        await page.Mouse.UpAsync();
        await Assertions.Expect(page.GetByTestId("span-selection")).ToContainTextAsync("“parked near”");
        // A click on a word moves the cursor there.
        await words.Nth(2).ClickAsync();
        await Assertions.Expect(page.GetByTestId("span-selection")).ToContainTextAsync("“bus”");

        await using var check = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var spans = await check.ErrorSpans.Where(s => s.ResponseId == rejectedId && s.Status == SpanStatus.Confirmed).OrderBy(s => s.Start).ToListAsync();
        Assert.Equal([("blue", ErrorType.Attribute, ErrorSeverity.Major), ("three", ErrorType.Count, ErrorSeverity.Minor), ("tall", ErrorType.Attribute, ErrorSeverity.Minor)],
            spans.Select(s => (s.Text, s.Type, s.Severity)));
        Assert.Equal(PairStatus.Pending, await check.Pairs.Where(p => p.DatasetId == datasetId).Select(p => p.Status).SingleAsync());
    }
}
