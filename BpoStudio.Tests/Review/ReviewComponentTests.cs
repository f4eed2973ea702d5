using BpoStudio.Components.Pages.Review;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Infrastructure;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace BpoStudio.Tests.Review;

public class ReviewComponentTests
{
    [Fact]
    public async Task NegativeCard_HighlightsChangedWordsAndProvenance()
    {
        await using var ctx = ComponentContext.Create();
        var card = ctx.Render<NegativeCard>(p => p
            .Add(c => c.Number, 2)
            .Add(c => c.Kind, ResponseKind.LlmHal)
            .Add(c => c.Text, "Three blue cats sit on a sofa.")
            .Add(c => c.ChosenText, "Two blue cats sit on a sofa.")
            .Add(c => c.Provenance, new GeneratorProvenance
            {
                Method = "model-free-injection",
                Seed = 42,
                ChangedSpansJson = System.Text.Json.JsonSerializer.Serialize(new[] { new BpoStudio.Core.Injection.ChangedSpan(0, 5, "Two", "Three", BpoStudio.Core.Injection.ErrorCategory.Count) }),
            }));

        Assert.Equal("Three ", card.Find("mark.diff-added").TextContent);
        Assert.Equal("Two ", card.Find("del.diff-removed").TextContent);
        Assert.Contains("llm-hal", card.Markup);
        Assert.Contains("seed 42", card.Find("[data-testid=provenance]").TextContent);
        Assert.Equal("2", card.Find("kbd").TextContent);
        Assert.Contains("count: Two → Three", card.Find("[data-testid=injected-spans]").TextContent);
    }

    [Fact]
    public async Task KeyboardHelp_ListsEveryShortcutWhenVisible()
    {
        await using var ctx = ComponentContext.Create();
        var help = ctx.Render<KeyboardHelp>(p => p.Add(c => c.Visible, true));
        var text = help.Markup;
        foreach (var key in new[] { "A", "R", "E", "S", "F", "J", "K", "U", "Ctrl+Enter", "Esc", "?" })
            Assert.Contains($"<kbd class=\"mr-1\">{key}</kbd>", text);
    }

}
