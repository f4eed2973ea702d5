using System.Security.Claims;
using BpoStudio.Components.Pages.Review;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace BpoStudio.Tests.Review;

/// <summary>The whole pair view rendered by bUnit over a real SQLite database with the demo seeded.</summary>
public class ReviewWorkspaceComponentTests
{
    [Fact]
    public async Task ShowsImagePromptChosenAndEveryNegativeOfTheSample()
    {
        await using var core = await CoreServices.StartAsync();
        var datasetId = await core.SeedDemoAsync();
        await using var ctx = ComponentContext.Create(core);
        var expected = (await core.Get<ReviewQueries>().NextAsync(datasetId, "ann-id"))!;

        var page = ctx.Render<ReviewWorkspace>(p => p.Add(c => c.DatasetId, datasetId));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=pair]")));

        Assert.Equal(expected.PairId.ToString(), page.Find("[data-testid=pair]").GetAttribute("data-pair-id"));
        Assert.Equal($"/images/{expected.ImageHash}", page.Find(".pair-image-frame img").GetAttribute("src"));
        Assert.Equal(expected.Prompt, page.Find("[data-testid=prompt]").TextContent);
        Assert.Equal(expected.Chosen.Text, page.Find("[data-testid=chosen-text]").TextContent);
        Assert.Equal(1 + expected.Siblings.Count, page.FindAll("[data-testid=negative-card]").Count);
        Assert.NotEmpty(page.FindAll("[data-testid=negative-card] mark.diff-added"));
        Assert.Contains("model-free-injection", page.Find("[data-testid=provenance]").TextContent);
        Assert.Contains("0 of", page.Markup);
        Assert.Contains("brightness(100%) contrast(100%)", page.Find(".pair-image-frame img").GetAttribute("style"));
    }

    [Fact]
    public async Task AcceptButtonMovesToNextPairAndCountsTheSession()
    {
        await using var core = await CoreServices.StartAsync();
        var datasetId = await core.SeedDemoAsync();
        await using var ctx = ComponentContext.Create(core);
        var page = ctx.Render<ReviewWorkspace>(p => p.Add(c => c.DatasetId, datasetId));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=pair]")));
        var first = page.Find("[data-testid=pair]").GetAttribute("data-pair-id");

        page.FindAll("button").First(b => b.TextContent.StartsWith("Accept", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.NotEqual(first, page.Find("[data-testid=pair]").GetAttribute("data-pair-id")));
        Assert.Contains("This session: 1 decided", page.Find("[data-testid=session-rate]").TextContent);
        Assert.Contains("You: 1 decision", page.Find("[data-testid=my-progress]").TextContent);
    }

    [Fact]
    public async Task UndoAfterALeadResolvedThePair_IsAMessage_AndTheWorkspaceKeepsWorking()
    {
        await using var core = await CoreServices.StartAsync();
        var datasetId = await core.SeedDemoAsync();
        await using var ctx = ComponentContext.Create(core);
        var page = ctx.Render<ReviewWorkspace>(p => p.Add(c => c.DatasetId, datasetId));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=pair]")));
        var reviews = core.Get<ReviewService>();
        var ann = TestPrincipals.Reviewer("ann-id", "ann-id");
        var shown = (await core.Get<ReviewQueries>().LoadAsync(long.Parse(page.Find("[data-testid=pair]").GetAttribute("data-pair-id")!)))!;
        var flagged = await reviews.FlagAsync(shown.PairId, shown.RowVersion, ann, "wrong colour?");
        await reviews.ResolveAsync(flagged.PairId, flagged.RowVersion, TestPrincipals.Lead, BpoStudio.Core.Datasets.PairStatus.Rejected, null);

        page.FindAll("button").First(b => b.TextContent.StartsWith("Undo", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.Contains("a lead's decision is final", page.Find("[data-testid=review-message]").TextContent));
        page.FindAll("button").First(b => b.TextContent.StartsWith("Accept", StringComparison.Ordinal)).Click();
        page.WaitForAssertion(() => Assert.Contains("resolved pair", page.Find("[data-testid=review-message]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=page-error]"));
    }

    [Fact]
    public async Task ASwappedPair_SaysSo_AndTheOtherNegativesAreDiffedAgainstTheirOwnChosenAnswer()
    {
        await using var core = await CoreServices.StartAsync();
        var datasetId = await core.SeedDemoAsync();
        await using var ctx = ComponentContext.Create(core);
        var page = ctx.Render<ReviewWorkspace>(p => p.Add(c => c.DatasetId, datasetId));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=pair]")));
        var before = (await core.Get<ReviewQueries>().LoadAsync(long.Parse(page.Find("[data-testid=pair]").GetAttribute("data-pair-id")!)))!;
        Assert.NotEmpty(before.Siblings);

        page.FindAll("button").First(b => b.TextContent.StartsWith("Swap", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.Contains($"swapped in pair #{before.PairId}", page.Find("[data-testid=swapped]").TextContent));
        var gtWords = before.Chosen.Text.Split(' ').ToHashSet();
        var sibling = page.FindAll("[data-testid=negative-card]").Single(c => !c.ClassList.Contains("selected"));
        Assert.All(sibling.QuerySelectorAll("del.diff-removed"), d => Assert.All(d.TextContent.Split(' ', StringSplitOptions.RemoveEmptyEntries), w => Assert.Contains(w, gtWords)));
    }

    [Fact]
    public async Task ALaterTurn_ShowsTheEarlierTurnsAboveItsPrompt_AsTheExportsCarryThem()
    {
        await using var core = await CoreServices.StartAsync();
        int datasetId;
        await using (var db = await core.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<BpoStudio.Core.Data.BpoDbContext>>().CreateDbContextAsync())
        {
            var dataset = new BpoStudio.Core.Datasets.Dataset { Name = "turns", CreatedAt = DateTime.UtcNow, CreatedBy = "test" };
            db.Datasets.Add(dataset);
            await db.SaveChangesAsync();
            datasetId = dataset.Id;
            BpoStudio.Core.Datasets.Sample Turn(int turn, string prompt, string answer, params string[] negatives)
            {
                var sample = new BpoStudio.Core.Datasets.Sample { DatasetId = datasetId, Prompt = prompt, CreatedAt = DateTime.UtcNow,
                    Source = new() { File = "chat.json", RecordId = "c1", Turn = turn } };
                sample.Responses.Add(new() { Text = answer, Kind = BpoStudio.Core.Datasets.ResponseKind.Gt, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "import" } });
                foreach (var n in negatives)
                    sample.Responses.Add(new() { Text = n, Kind = BpoStudio.Core.Datasets.ResponseKind.LlmHal, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "import" } });
                return sample;
            }
            db.Samples.AddRange(Turn(0, "What vehicle is in the picture?", "A red car."), Turn(1, "Where is it parked?", "By the kerb.", "In a garage."));
            await db.SaveChangesAsync();
            foreach (var sample in db.Samples.Local) db.Pairs.AddRange(BpoStudio.Core.Datasets.PairBuilder.Build(datasetId, sample.Id, sample.Responses));
            await db.SaveChangesAsync();
        }
        await using var ctx = ComponentContext.Create(core);

        var page = ctx.Render<ReviewWorkspace>(p => p.Add(c => c.DatasetId, datasetId));
        page.WaitForAssertion(() => Assert.Equal("Where is it parked?", page.Find("[data-testid=prompt]").TextContent));

        var turn = Assert.Single(page.FindAll("[data-testid=earlier-turn]"));
        Assert.Contains("Turn 1: What vehicle is in the picture?", turn.QuerySelector("summary")!.TextContent);
        Assert.Contains("A red car.", turn.TextContent);
        Assert.Null(turn.GetAttribute("open")); // collapsed to one line until opened
    }
}
