using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Tests.Infrastructure;
using BpoStudio.Tests.Triage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class TriageBrowserTests(BrowserFixture fixture)
{
    private const string Dataset = "triage-browser";
    private const string SpotAnnotator = "spot-annotator@example.test";

    [Fact]
    public async Task LeadBulkRejectsAFinding_SpotChecksWithAnAnnotator_AcceptsTheRest_AndExports()
    {
        var services = fixture.App.Services;
        var data = await TriageDataset.ImportAsync(services, fixture.App.DataDirectory, Dataset);
        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.GotoAsync($"/datasets/{data.Id}");
        await BrowserSession.WaitForCircuitAsync(lead);
        await lead.GetByRole(AriaRole.Link, new() { Name = "Triage" }).ClickAsync();
        await Assertions.Expect(lead.GetByTestId("finding-count-placeholder")).ToHaveTextAsync("1");

        // Filter by a finding and reject what matches, after the preview.
        await lead.GetByRole(AriaRole.Button, new() { Name = "Show pairs with placeholder" }).ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-match-count")).ToContainTextAsync("1 pair matches: finding placeholder");
        Assert.Contains("finding=placeholder", lead.Url);
        await ChooseAsync(lead, "Decision", "Reject");
        await lead.GetByLabel("Reason (required)").FillAsync("Negative is not plausible");
        await lead.GetByLabel("Reason (required)").PressAsync("Tab");
        await lead.GetByTestId("bulk-preview").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("bulk-preview-count")).ToContainTextAsync("1 pair matches; 1 would be rejected");
        await lead.GetByTestId("bulk-confirm").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync("rejected 1 of 1 matching pairs");
        Assert.Equal(PairStatus.Rejected, await StatusAsync(data.PairByRecord["placeholder"]));

        // Spot-check the clean pairs with a low bar (five of five accepted: lower bound 0.57).
        await lead.GetByTestId("filter-no-blocking").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-match-count")).ToContainTextAsync("7 pairs match: no blocking finding");
        await lead.GetByLabel("Sample size").FillAsync("5");
        await lead.GetByLabel("Accept the rest at (lower bound)").FillAsync("0.5");
        await lead.GetByLabel("Accept the rest at (lower bound)").PressAsync("Tab");
        await lead.GetByTestId("spot-draw").ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync("5 pairs drawn");
        var stratum = lead.Locator("[data-testid^=stratum-]").First;
        await Assertions.Expect(stratum).ToContainTextAsync("0 / 5");
        await Assertions.Expect(lead.Locator("[data-testid^=accept-rest-]").First).ToBeDisabledAsync();

        // The annotator reviews the sample in the normal queue.
        var spotLink = await lead.GetByRole(AriaRole.Link, new() { Name = "Review the sample" }).First.GetAttributeAsync("href");
        // An annotator of its own, so the other browser tests' counts of the shared annotator's events stay theirs.
        await using (var scope = services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<Core.Accounts.UserAdministration>()
                .CreateAsync(SpotAnnotator, BpoAppFactory.UserPassword, [Core.Accounts.Roles.Annotator], Core.Accounts.ActorChecks.CommandLine);
        var annotator = await fixture.SignedInPageAsync(SpotAnnotator, BpoAppFactory.UserPassword);
        await annotator.GotoAsync(spotLink!);
        await BrowserSession.WaitForCircuitAsync(annotator);
        await Assertions.Expect(annotator.GetByTestId("spot-banner")).ToBeVisibleAsync();
        var pair = annotator.Locator("[data-testid=pair]");
        for (var i = 0; i < 5; i++)
        {
            await Assertions.Expect(pair).ToHaveAttributeAsync("data-keyboard", "ready");
            var before = (await pair.GetAttributeAsync("data-pair-id"))!;
            await annotator.Keyboard.PressAsync("a");
            if (i < 4) await Assertions.Expect(pair).Not.ToHaveAttributeAsync("data-pair-id", before);
        }
        await Assertions.Expect(annotator.GetByTestId("queue-empty")).ToBeVisibleAsync();
        // The end of the sample is no dead end: it leads back to Triage.
        await Assertions.Expect(annotator.GetByTestId("back-to-triage")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("/datasets/\\d+/triage$"));

        // The lead sees the interval, accepts the rest of the stratum, and exports.
        await lead.ReloadAsync();
        await BrowserSession.WaitForCircuitAsync(lead);
        await Assertions.Expect(lead.GetByTestId("triage-match-count")).ToContainTextAsync("7 pairs match: no blocking finding"); // the filter is in the address
        await Assertions.Expect(lead.Locator("[data-testid^=stratum-]").First).ToContainTextAsync("5 / 5");
        await Assertions.Expect(lead.Locator("[data-testid^=stratum-]").First.GetByTestId("stratum-interval")).ToHaveTextAsync("56.6% – 100.0%");
        await lead.Locator("[data-testid^=accept-rest-]").First.ClickAsync();
        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync("Accepted the rest of llm-hal · import:bpo: 2 pairs");
        await lead.SetViewportSizeAsync(1400, 2750);
        await lead.EvaluateAsync("window.scrollTo(0, 0)");
        await lead.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-triage.png") });

        foreach (var (width, height) in new[] { (1440, 1000), (390, 844) })
        {
            await lead.SetViewportSizeAsync(width, height);
            await lead.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), $"bpostudio-triage-{width}.png"), FullPage = width < 1000 });
        }
        await lead.SetViewportSizeAsync(1400, 900);

        await lead.GotoAsync("/export");
        await BrowserSession.WaitForCircuitAsync(lead);
        await ChooseAsync(lead, "Dataset", Dataset);
        var exportId = await fixture.StartExportAsync(lead);
        await Assertions.Expect(lead.GetByTestId($"export-dataset-{exportId}")).ToContainTextAsync($"{Dataset} · draft");

        await using var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var export = await db.Exports.SingleAsync(e => e.Id == exportId);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(export.FolderPath!, "manifest.json")));
        Assert.Equal(7, manifest.RootElement.GetProperty("counts").GetProperty("pairs").GetInt32());
        var decided = manifest.RootElement.GetProperty("counts").GetProperty("decidedBy");
        Assert.Equal((5, 0, 2), (decided.GetProperty("people").GetInt32(), decided.GetProperty("bulk").GetInt32(), decided.GetProperty("sampledStratum").GetInt32()));
    }

    [Fact]
    public async Task LeadRunsTheChecksAgain_FollowsTheJob_AndKeepsEachFinding()
    {
        var data = await TriageDataset.ImportAsync(fixture.App.Services, fixture.App.DataDirectory, "triage-rerun");
        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.GotoAsync($"/datasets/{data.Id}/triage");
        await BrowserSession.WaitForCircuitAsync(lead);
        await Assertions.Expect(lead.GetByTestId("finding-count-duplicate")).ToHaveTextAsync("1");

        await lead.GetByTestId("run-checks").ClickAsync();

        await Assertions.Expect(lead.GetByTestId("triage-message")).ToContainTextAsync("Checked 10 pairs.", new() { Timeout = 30_000 });
        await Assertions.Expect(lead.GetByTestId("run-checks")).ToHaveTextAsync("Run checks again");
        await Assertions.Expect(lead.GetByTestId("run-checks")).ToBeEnabledAsync();
        foreach (var finding in new[] { "duplicate", "placeholder", "refusal" })
            await Assertions.Expect(lead.GetByTestId($"finding-count-{finding}")).ToHaveTextAsync("1");
        await lead.Context.CloseAsync();
    }

    private static async Task ChooseAsync(IPage page, string label, string option)
    {
        await page.GetByLabel(label).First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
    }

    private async Task<PairStatus> StatusAsync(long pairId)
    {
        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Pairs.Where(p => p.Id == pairId).Select(p => p.Status).SingleAsync();
    }
}
