using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

/// <summary>
/// axe-core's WCAG 2.0/2.1 A and AA rules and best practices on every page each role can open, in light and dark
/// mode: any serious or critical violation fails, and so does a moderate one outside the allow-list below.
/// </summary>
[Collection(BrowserCollection.Name)]
public class AccessibilityBrowserTests(BrowserFixture fixture)
{
    // Moderate findings accepted, each with its reason. Empty: none is accepted today.
    private static readonly Dictionary<string, string> AllowedModerate = new()
    {
    };

    // Minor rules that matter to a screen reader's user all the same: a header cell with nothing to announce.
    private static readonly HashSet<string> AlwaysFail = ["empty-table-header"];

    private static readonly string[] Tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

    public static TheoryData<string, bool> RolesAndModes => new()
    {
        { "annotator", false }, { "annotator", true }, { "lead", false }, { "lead", true }, { "admin", false }, { "admin", true },
    };

    [Theory]
    [MemberData(nameof(RolesAndModes))]
    public async Task EveryPageOfTheRole_HasNoSeriousViolation(string role, bool dark)
    {
        var datasetId = await DemoDatasetIdAsync();
        var (email, password) = role switch
        {
            "annotator" => (BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword),
            "lead" => (BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword),
            _ => (BpoAppFactory.AdminEmail, BpoAppFactory.AdminPassword),
        };
        var page = await fixture.SignedInPageAsync(email, password);
        await page.EvaluateAsync($"() => localStorage.setItem('bpostudio.theme', '{(dark ? "dark" : "light")}')");
        List<string> pages = ["/", $"/datasets/{datasetId}", $"/review/{datasetId}", "/imaging", "/account/password"];
        if (role != "annotator")
            pages.AddRange([$"/datasets/{datasetId}/dashboard", $"/datasets/{datasetId}/triage", $"/datasets/{datasetId}/versions", "/import", "/generate", "/models", "/export", "/audit"]);
        else pages.Add("/account/access-denied"); // where a page they may not open sends them
        if (role == "admin") pages.AddRange(["/admin/users", "/admin/import-folders"]);

        var problems = new List<string>();
        foreach (var path in pages) problems.AddRange(await ViolationsAsync(page, path, dark, interactive: !path.StartsWith("/account/", StringComparison.Ordinal)));
        Assert.True(problems.Count == 0, $"{role}, {(dark ? "dark" : "light")} mode:\n" + string.Join("\n", problems));
    }

    // WCAG 2.1 AA 1.4.10 Reflow: at 320 CSS pixels (1280 at 400 % zoom) nothing makes the page scroll sideways; wide
    // tables scroll inside their own region. The admin sees every page.
    [Fact]
    public async Task NoPage_ScrollsSideways_At320Pixels()
    {
        var datasetId = await DemoDatasetIdAsync();
        var awkward = await AwkwardDatasetAsync();
        var page = await fixture.SignedInPageAsync(BpoAppFactory.AdminEmail, BpoAppFactory.AdminPassword);
        await page.SetViewportSizeAsync(320, 800);
        var overflowing = new List<string>();
        foreach (var path in new[] { "/", "/datasets", $"/datasets/{datasetId}", $"/review/{datasetId}", "/imaging", $"/datasets/{datasetId}/dashboard", $"/datasets/{datasetId}/triage",
            $"/datasets/{datasetId}/versions", "/import", "/generate", "/models", "/export", "/audit", "/admin/users", "/admin/import-folders", "/account/password",
            $"/datasets/{awkward}", $"/review/{awkward}", $"/datasets/{awkward}/triage", $"/datasets/{awkward}/dashboard" })
        {
            await page.GotoAsync(path);
            if (!path.StartsWith("/account/", StringComparison.Ordinal)) await BrowserSession.WaitForCircuitAsync(page);
            await page.WaitForTimeoutAsync(800);
            // The widest element, with the ancestors it pushes out, names the culprit.
            var widest = await page.EvaluateAsync<string>(@"() => {
                const width = window.innerWidth, scroll = document.documentElement.scrollWidth;
                if (scroll <= width) return '';
                const name = e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).slice(0, 2).join('.') : '');
                // An element reaching that far, else the innermost one whose own text runs past it.
                const all = [...document.querySelectorAll('body *')];
                const culprit = all.find(e => Math.abs(e.getBoundingClientRect().right - scroll) < 2)
                    ?? all.filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible').pop() ?? document.body;
                const chain = [];
                for (let e = culprit; e && chain.length < 4; e = e.parentElement) chain.push(name(e));
                return `${scroll}px wide: ${chain.join(' in ')} '${(culprit.textContent ?? '').trim().slice(0, 40)}'`;
            }");
            if (widest != "") overflowing.Add($"{path}: {widest}");
            // The app bar is fixed, so it never widens the page: its buttons are cut off instead.
            var cutOff = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('header button, header a')].filter(b => b.getBoundingClientRect().right > window.innerWidth + 1).map(b => b.getAttribute('aria-label') ?? b.textContent)");
            if (cutOff.Length > 0) overflowing.Add($"{path}: app bar cuts off {string.Join(", ", cutOff)}");
        }
        Assert.True(overflowing.Count == 0, string.Join("\n", overflowing));
    }

    [Fact]
    public async Task TheSignInPage_HasNoSeriousViolation()
    {
        var page = await fixture.Browser.NewPageAsync(fixture.App.BaseAddress);
        var problems = await ViolationsAsync(page, "/account/login", dark: false, interactive: false);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // Account pages are rendered on the server without a circuit; the rest wait for theirs.
    internal static async Task<List<string>> ViolationsAsync(IPage page, string path, bool dark, bool interactive)
    {
        await page.GotoAsync(path);
        if (interactive) await BrowserSession.WaitForCircuitAsync(page);
        await page.WaitForTimeoutAsync(800); // data loads after the first render
        return await ViolationsHereAsync(page, path);
    }

    /// <summary>The page as it stands now (a mode switched on, a dialog open), without loading it again.</summary>
    internal static async Task<List<string>> ViolationsHereAsync(IPage page, string path)
    {
        var results = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. Tags] } });
        return [.. results.Violations
            .Where(v => v.Impact is "serious" or "critical" || (v.Impact == "moderate" && !AllowedModerate.ContainsKey(v.Id)) || AlwaysFail.Contains(v.Id))
            .Select(v => $"{path}: {v.Impact} {v.Id} ({v.Help}) on {v.Nodes.Length}: {string.Join(" | ", v.Nodes.Take(4).Select(n => $"{n.Target} {Summary(n)}"))}")];
    }

    private static string Summary(AxeResultNode node)
    {
        var text = ((node.Any?.FirstOrDefault() ?? node.All?.FirstOrDefault() ?? node.None?.FirstOrDefault())?.Message + " " + node.Html).Replace('\n', ' ');
        return text.Length > 220 ? text[..220] + "…" : text;
    }

    // Three images and texts with a long unbroken run (a URL), the kind of content that pushes a phone's layout wide.
    private async Task<int> AwkwardDatasetAsync()
    {
        var services = fixture.App.Services;
        var hashes = new List<string>();
        foreach (var scene in new[] { 1, 2, 3 }) hashes.Add(await fixture.StoreImageAsync(scene));
        var url = "https://example.org/" + string.Concat(Enumerable.Repeat("averyveryverylongpathsegment", 8));
        var sample = new Core.Datasets.Sample { ImageHash = hashes[0], MoreImageHashes = hashes[1..], Prompt = $"Which image matches {url}?", Source = new Core.Datasets.SourceProvenance { File = url } };
        sample.Responses.Add(new Core.Datasets.Response { Text = $"The second, as {url} says.", Kind = Core.Datasets.ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        sample.Responses.Add(new Core.Datasets.Response { Text = $"The first, as {url}x says.", Kind = Core.Datasets.ResponseKind.LlmHal, Score = 0, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } });
        return await fixture.NewDatasetAsync("awkwardnamewithoutanyspacesatall", sample);
    }

    private async Task<int> DemoDatasetIdAsync()
    {
        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Datasets.Where(d => d.Name == DemoSeeder.DatasetName).Select(d => d.Id).SingleAsync();
    }
}
