using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Api;

/// <summary>Programs push their own models' scores onto pairs and read every scorer's; bad scores are refused by name.</summary>
public class ScoreApiTests : ApiTestHost
{
    [Fact]
    public async Task ALeadsProgram_PushesScores_ReplacesThem_AndReadsThemBack_BadOnesRefusedByName()
    {
        var d = await DemoDatasetIdAsync();
        var lead = Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Write));
        var first = await lead.PostAsJsonAsync($"/api/v1/datasets/{d}/scores", new object[]
        {
            new { pairId = 1, scorer = "reward-8b", preferChosen = 0.2, rationale = "the chosen answer invents a second bus" },
            new { pairId = 2, scorer = "reward-8b", preferChosen = 0.9, confidence = 0.6 },
        });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await lead.PostAsJsonAsync($"/api/v1/datasets/{d}/scores", new[] { new { pairId = 1, scorer = "reward-8b", preferChosen = 0.4 } })).StatusCode);
        var scores = await lead.GetFromJsonAsync<JsonElement>("/api/v1/pairs/1/scores");
        var only = Assert.Single(scores.EnumerateArray());
        Assert.Equal(("reward-8b", 0.4, 0.6), (only.GetProperty("scorer").GetString(), only.GetProperty("preferChosen").GetDouble(), only.GetProperty("confidence").GetDouble()));

        // A program pulls the pairs its model doubts, with their scores: the band filter and include=scores.
        var doubted = await lead.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{d}/pairs?scorer=reward-8b&scoreBelow=0.5&include=scores");
        var pair = Assert.Single(doubted.GetProperty("items").EnumerateArray());
        Assert.Equal(1, pair.GetProperty("id").GetInt64());
        Assert.Equal(("reward-8b", 0.4), (pair.GetProperty("scores")[0].GetProperty("scorer").GetString(), pair.GetProperty("scores")[0].GetProperty("preferChosen").GetDouble()));
        var band = await lead.GetAsync($"/api/v1/datasets/{d}/pairs?scoreAtLeast=0.5");
        Assert.Equal(HttpStatusCode.BadRequest, band.StatusCode);
        Assert.Contains("A score band needs the scorer", await band.Content.ReadAsStringAsync());
        Assert.Contains("include takes findings, history and scores", await (await lead.GetAsync($"/api/v1/datasets/{d}/pairs?include=votes")).Content.ReadAsStringAsync());

        var bad = await lead.PostAsJsonAsync($"/api/v1/datasets/{d}/scores", new object[] { new { pairId = 2, scorer = "x", preferChosen = 0.5 }, new { pairId = 2, scorer = "x", preferChosen = 1.5 } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("scores[1].preferChosen must lie between 0 and 1", await bad.Content.ReadAsStringAsync());
        var reserved = await lead.PostAsJsonAsync($"/api/v1/datasets/{d}/scores", new[] { new { pairId = 2, scorer = "judge:mine", preferChosen = 0.5 } });
        Assert.Contains("names BpoStudio's own judge", await reserved.Content.ReadAsStringAsync());
        var missing = await lead.PostAsJsonAsync($"/api/v1/datasets/{d}/scores", new[] { new { pairId = 999999, scorer = "x", preferChosen = 0.5 } });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("has no pair 999999", await missing.Content.ReadAsStringAsync());

        var annotator = Client(await TokenAsync(BpoAppFactory.AnnotatorEmail, TokenScope.Write));
        Assert.Equal(HttpStatusCode.Forbidden, (await annotator.PostAsJsonAsync($"/api/v1/datasets/{d}/scores", new[] { new { pairId = 1, scorer = "x", preferChosen = 0.5 } })).StatusCode);
        // No judge configured on this host: the run is refused with what to set.
        var judge = await lead.PostAsJsonAsync($"/api/v1/datasets/{d}/judge", new { dryRun = true });
        Assert.Equal(HttpStatusCode.Conflict, judge.StatusCode);
        Assert.Contains("Judge:OpenAI:BaseUrl", await judge.Content.ReadAsStringAsync());
    }
}
