using BpoStudio.Components.Pages.Review;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using BpoStudio.Tests.Triage;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Review;

public class PairFindingsComponentTests
{
    [Fact]
    public async Task TheReviewPage_ShowsWhatTheChecksFoundOnThePair_AndNothingForACleanOne()
    {
        await using var core = await CoreServices.StartAsync();
        var data = await TriageDataset.ImportAsync(core);
        await using var ctx = ComponentContext.Create(core);

        var navigation = ctx.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("finding", "placeholder"));
        var page = ctx.Render<ReviewWorkspace>(p => p.Add(c => c.DatasetId, data.Id));
        page.WaitForAssertion(() => Assert.Equal(data.PairByRecord["placeholder"].ToString(), page.Find("[data-testid=pair]").GetAttribute("data-pair-id")));
        page.WaitForAssertion(() => Assert.Contains("placeholder: rejected contains '<image>'", page.Find("[data-testid=pair-findings]").TextContent));

        var clean = ctx.Render<PairFindings>(p => p.Add(c => c.PairId, data.PairByRecord["clean-1"]));
        Assert.Empty(clean.FindAll("[data-testid=pair-findings]"));
    }
}
