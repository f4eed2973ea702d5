using System.Collections.Concurrent;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

/// <summary>A team on one queue in real browsers: parallel contexts, fast keys, the bar in reach at every width.</summary>
[Collection(BrowserCollection.Name)]
public class TeamReviewBrowserTests(BrowserFixture fixture)
{
    private static Sample TextSample(int i) => new()
    {
        Prompt = $"What is written on sign {i}?",
        Source = new SourceProvenance { File = "team", RecordId = $"t{i}" },
        Responses =
        {
            new Response { Text = $"The sign says {i}.", Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } },
            new Response { Text = $"The sign says {i + 1}.", Kind = ResponseKind.LlmHal, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } },
            new Response { Text = $"The board says {i}.", Kind = ResponseKind.LlmHal, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } },
        },
    };

    private async Task OpenQueueAsync(IPage page, int datasetId)
    {
        await page.GotoAsync($"/review/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=pair]")).ToHaveAttributeAsync("data-keyboard", "ready");
    }

    [Fact]
    public async Task FourAnnotatorsOnOneQueue_EachPressingA_NeverMeetAConflict_AndEveryPairIsDecidedOnce()
    {
        var datasetId = await fixture.NewDatasetAsync("team", [.. Enumerable.Range(1, 10).Select(TextSample)]);
        var pages = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => fixture.NewAnnotatorPageAsync()));
        await Task.WhenAll(pages.Select(p => OpenQueueAsync(p, datasetId)));
        var messages = new ConcurrentBag<string>();

        await Task.WhenAll(pages.Select(async page =>
        {
            for (var presses = 0; presses < 20 && await page.GetByTestId("pair").CountAsync() > 0; presses++)
            {
                var pairId = await page.GetByTestId("pair").GetAttributeAsync("data-pair-id");
                await page.Locator("#review-workspace").FocusAsync();
                await page.Keyboard.PressAsync("a");
                await page.WaitForFunctionAsync("id => !document.querySelector('[data-testid=pair]') || document.querySelector('[data-testid=pair]').dataset.pairId !== id", pairId);
                if (await page.GetByTestId("review-message").CountAsync() > 0) messages.Add(await page.GetByTestId("review-message").InnerTextAsync());
                await page.WaitForTimeoutAsync(150); // a glance at the next pair
            }
        }));

        Assert.DoesNotContain(messages, m => m.Contains("someone else") || m.Contains("already"));
        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var decisions = await db.PairDecisions.Where(d => d.DatasetId == datasetId).GroupBy(d => d.PairId).Select(g => g.Count()).ToListAsync();
        Assert.Equal(20, decisions.Count);
        Assert.All(decisions, n => Assert.Equal(1, n));
        Assert.True(await db.PairDecisions.Where(d => d.DatasetId == datasetId).Select(d => d.UserId).Distinct().CountAsync() >= 3, "the work was not spread");
        foreach (var page in pages) await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ALeadSetsOverlapTwo_AndAssigning_GivesEveryPairTwoDifferentAnnotators_WhoEachGetTheirOwnShare()
    {
        // Enough pairs that every annotator the shared test app has by now gets a share.
        var datasetId = await fixture.NewDatasetAsync("overlap", [.. Enumerable.Range(1, 25).Select(TextSample)]);
        var annotators = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => fixture.NewAnnotatorPageAsync()));
        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.GotoAsync($"/datasets/{datasetId}");
        await BrowserSession.WaitForCircuitAsync(lead);
        await lead.GetByText("Assignment and overlap").ClickAsync();
        // As a person would: the buttons wait for the reviewer list (with the shared app's many users it can take a while).
        await Assertions.Expect(lead.GetByRole(AriaRole.Button, new() { Name = "Assign pending pairs" })).ToBeEnabledAsync(new() { Timeout = 30_000 });
        await lead.GetByLabel("Reviewers per pair (overlap)").FillAsync("2");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Save overlap" }).ClickAsync();
        await Assertions.Expect(lead.GetByTestId("assignment-rule")).ToContainTextAsync("2 different reviewers");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Assign pending pairs" }).ClickAsync();
        // Assigning every pending pair to two of the shared app's many annotators takes a few seconds on a loaded machine.
        await Assertions.Expect(lead.GetByText("(2 per pair)")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var pairs = await db.Pairs.Where(p => p.DatasetId == datasetId).Select(p => p.Id).ToListAsync();
        var shares = await db.PairAssignments.Where(a => a.DatasetId == datasetId).GroupBy(a => a.PairId)
            .Select(g => new { g.Key, People = g.Select(a => a.UserId).Distinct().Count(), Count = g.Count() }).ToListAsync();
        Assert.Equal(pairs.Order(), shares.Select(s => s.Key).Order());
        Assert.All(shares, s => Assert.Equal((2, 2), (s.People, s.Count)));

        // Each annotator is served a pair of her own share first.
        foreach (var page in annotators)
        {
            await OpenQueueAsync(page, datasetId);
            var pairId = long.Parse((await page.GetByTestId("pair").GetAttributeAsync("data-pair-id"))!);
            var name = (await page.GetByTestId("signed-in-user").TextContentAsync())!.Trim();
            var userId = await db.Users.Where(u => u.UserName == name).Select(u => u.Id).SingleAsync();
            Assert.True(await db.PairAssignments.AnyAsync(a => a.PairId == pairId && a.UserId == userId), $"{name} was served pair {pairId}, not of her share");
            await page.Context.CloseAsync();
        }
        await lead.Context.CloseAsync();
    }

    [Fact]
    public async Task FastNumberKeysOverImagePairsTextPairsAndSeveralImages_NeverStopThePage()
    {
        var services = fixture.App.Services;
        var hashes = new List<string>();
        foreach (var seed in new[] { 11, 12 }) hashes.Add(await fixture.StoreImageAsync(seed));
        var sample = TextSample(1);
        sample.ImageHash = hashes[0];
        sample.MoreImageHashes = [hashes[1]];
        var datasetId = await fixture.NewDatasetAsync("fast keys", sample, TextSample(2));
        var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod("image-pair:pixelate")], 3).Validated(services.GetRequiredService<LlmBackend>().AvailableMethods);
        var job = await services.GetRequiredService<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await services.GetRequiredService<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        var page = await fixture.NewAnnotatorPageAsync();
        var errors = new ConcurrentBag<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        await OpenQueueAsync(page, datasetId);
        // Two text negatives and the image pair made from the sample's images, numbered 1 to 3.
        await Assertions.Expect(page.GetByTestId("negative-card")).ToHaveCountAsync(3);

        string[][] sequences = [["1", "3", "9"], ["2", "1", "3", "2", "1"], ["3", "1", "+", "2", "0", "1"], ["1", "2", "3", "j", "k", "1", "3"]];
        for (var round = 0; round < 10; round++)
            foreach (var sequence in sequences)
            {
                await Assertions.Expect(page.GetByTestId("page-error")).ToHaveCountAsync(0);
                await page.Locator("#review-workspace").FocusAsync();
                foreach (var key in sequence) await page.Keyboard.PressAsync(key, new() { Delay = 0 });
            }
        await page.WaitForTimeoutAsync(500);

        await Assertions.Expect(page.GetByTestId("page-error")).ToHaveCountAsync(0);
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(page.GetByTestId("announcer")).ToContainTextAsync("Accepted");
        Assert.DoesNotContain(errors, e => e.Contains("disposed", StringComparison.OrdinalIgnoreCase) || e.Contains("circuit", StringComparison.OrdinalIgnoreCase));
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    [InlineData(320, 640)]
    public async Task TheDecisionBar_IsOnScreenAndNeverWiderThanTheWindow_AlsoWithoutAnImage(int width, int height)
    {
        var missing = TextSample(3);
        missing.ImageProblem = "The image file images/a-very-long-missing-file-name-that-goes-on-and-on.jpg was not found under the import folder.";
        var datasetId = await fixture.NewDatasetAsync("bar", missing, TextSample(4));
        var page = await fixture.NewAnnotatorPageAsync();
        await page.SetViewportSizeAsync(width, height);
        await OpenQueueAsync(page, datasetId);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), $"bpostudio-review-bar-{width}.png") });

        var bar = await page.GetByTestId("review-actions").BoundingBoxAsync();
        var accept = await page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).BoundingBoxAsync();
        var reject = await page.GetByRole(AriaRole.Button, new() { Name = "Reject" }).First.BoundingBoxAsync();
        Assert.NotNull(bar);
        Assert.True(bar!.X >= 0 && bar.X + bar.Width <= width + 0.5, $"the bar spans {bar.X}..{bar.X + bar.Width} in a {width} px window");
        foreach (var button in new[] { accept!, reject! })
            Assert.True(button.Y >= 0 && button.Y + button.Height <= height && button.X + button.Width <= width,
                $"a decision button at ({button.X}, {button.Y}) is off a {width}x{height} screen");
        if (width < 700) Assert.True(bar.Height <= height * 0.12, $"the bar takes {bar.Height} px of {height}");
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        Assert.True(widths[0] <= widths[1], $"the page is {widths[0]} px wide in a {widths[1]} px window");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnAnnotatorRevisitsHerOwnDecisions_AfterAReload_WithTheirBadge()
    {
        var datasetId = await fixture.NewDatasetAsync("mine", TextSample(5), TextSample(6));
        await using (var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Datasets.Where(d => d.Id == datasetId).ExecuteUpdateAsync(s => s.SetProperty(d => d.Overlap, 2));
        var page = await fixture.NewAnnotatorPageAsync();
        await OpenQueueAsync(page, datasetId);
        var first = await page.GetByTestId("pair").GetAttributeAsync("data-pair-id");
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(page.GetByTestId("pair")).Not.ToHaveAttributeAsync("data-pair-id", first!);
        var second = await page.GetByTestId("pair").GetAttributeAsync("data-pair-id");
        await page.Keyboard.PressAsync("r");
        await Assertions.Expect(page.GetByTestId("pair")).Not.ToHaveAttributeAsync("data-pair-id", second!);

        await page.ReloadAsync();
        await OpenQueueAsync(page, datasetId);
        await page.Locator("#review-workspace").FocusAsync();
        await page.Keyboard.PressAsync("k");
        await Assertions.Expect(page.GetByTestId("pair")).ToHaveAttributeAsync("data-pair-id", second!);
        await Assertions.Expect(page.GetByTestId("my-decision")).ToContainTextAsync("You rejected this pair");
        await page.Keyboard.PressAsync("k");
        await Assertions.Expect(page.GetByTestId("pair")).ToHaveAttributeAsync("data-pair-id", first!);
        await Assertions.Expect(page.GetByTestId("my-decision")).ToContainTextAsync("You accepted this pair");

        // The filter finds them although, under overlap 2, both pairs are still pending for the team.
        await page.GetByTestId("filters-toggle").ClickAsync();
        await page.GetByTestId("filter-mine").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "My accepted" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("pair")).ToHaveAttributeAsync("data-pair-id", first!);
        await page.Context.CloseAsync();
    }
}
