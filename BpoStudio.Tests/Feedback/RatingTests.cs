using System.Text.Json;
using System.Text.Json.Nodes;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Export;
using BpoStudio.Core.Feedback;
using BpoStudio.Core.Import;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Feedback;

/// <summary>Per-aspect ratings: imported from VLFeedback, shown and changed by reviewers, ranking negatives, and exported back losslessly.</summary>
public class RatingTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    // Written as VLFeedback writes them: ratings as numbers, numeric strings and "N/A"; the best mean is not first.
    private static readonly string[] Records =
    [
        """{"id":"v1","prompt":"<image>\nDescribe the scene.","models":["m-a","m-b","m-c"],"completions":[{"annotations":{"Helpfulness":{"Rating":"3","Rationale":"Plain."},"Visual Faithfulness":{"Rating":4,"Rationale":"Mostly right."},"Ethical Considerations":{"Rating":"N/A","Rationale":""}},"model":"m-a","response":"A bus on a road."},{"annotations":{"Helpfulness":{"Rating":5,"Rationale":"Rich."},"Visual Faithfulness":{"Rating":"5","Rationale":"Exact."},"Ethical Considerations":{"Rating":5,"Rationale":"Fine."}},"model":"m-b","response":"A red bus waits on a wet road beside two trees."},{"annotations":{"Helpfulness":{"Rating":4,"Rationale":"Detailed."},"Visual Faithfulness":{"Rating":1,"Rationale":"Invents a train."},"Ethical Considerations":{"Rating":5,"Rationale":"Fine."}},"model":"m-c","response":"A red train crosses a bridge over a river."}],"img_path":"a.png"}""",
        """{"id":"v2","prompt":"What colour is the bus?","models":["m-a","m-c"],"completions":[{"annotations":{"Helpfulness":{"Rating":2,"Rationale":"Wrong."},"Visual Faithfulness":{"Rating":1,"Rationale":"Blue is wrong."}},"model":"m-a","response":"Blue."},{"annotations":{"Helpfulness":{"Rating":5,"Rationale":"Right."},"Visual Faithfulness":{"Rating":5,"Rationale":"Right."}},"model":"m-c","response":"Red."}],"img_path":"a.png"}""",
    ];

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        Directory.CreateDirectory(_files.File("images"));
        await File.WriteAllBytesAsync(_files.File("images/a.png"), DemoScene.Generate(3).RenderPng());
        await File.WriteAllTextAsync(_files.File("vlf.jsonl"), string.Join("\n", Records));
        var summary = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File("vlf.jsonl"), "vlf", _files.File("images"), null, "test"));
        Assert.Equal(2, summary.Imported);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task VlFeedbackIn_BpoStudio_VlFeedbackOut_GivesTheRecordsAndTheirRatingsBack()
    {
        await AcceptAllAsync();
        var (_, folder) = await ExportAsync(new ExportOptions(1, null, ExportFormat.VlFeedback));
        var lines = File.ReadAllLines(Path.Combine(folder, "train.jsonl"));
        Assert.Equal(Records.Length, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            var (source, written) = (JsonNode.Parse(Records[i])!, JsonNode.Parse(lines[i])!);
            foreach (var field in new[] { "id", "prompt", "models", "img_path" })
                Assert.True(JsonNode.DeepEquals(source[field], written[field]), $"record {i + 1}'s {field} changed: {written[field]}");
            var (from, to) = (source["completions"]!.AsArray(), written["completions"]!.AsArray());
            Assert.Equal(from.Select(c => (Text(c!["response"]), Text(c!["model"]))), to.Select(c => (Text(c!["response"]), Text(c!["model"]))));
            // Each answer's own ratings: in annotations, or beside derived ones in source_annotations; a number in a file
            // of strings is written as its text (pyarrow keeps one type per field).
            for (var c = 0; c < from.Count; c++)
                Assert.Equal(Own(from[c]!), Own(to[c]!));
        }
        Assert.True(File.Exists(Path.Combine(folder, "images", "a.png")));

        // And it imports again as the same data.
        var again = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(Path.Combine(folder, "train.jsonl"), "vlf again", Path.Combine(folder, "images"), ImportFormat.VlFeedback, "test"));
        Assert.Equal((2L, 0L), (again.Imported, again.Flagged));

        static string? Text(JsonNode? node) => node?.GetValue<string>();
        static List<string> Own(JsonNode completion)
        {
            var annotations = completion["source_annotations"] is { } kept ? JsonNode.Parse(kept.GetValue<string>())! : completion["annotations"]!;
            return [.. annotations.AsObject().Select(a => $"{a.Key}: {a.Value!["Rating"]!.ToJsonString().Trim('"')} ({a.Value!["Rationale"]})")];
        }
    }

    [Fact]
    public async Task Reviewers_ChangeARating_LeadsDefineAspects_EachCheckedByRole_AndAVersionKeepsTheRatingsItWasApprovedWith()
    {
        var ratings = _core.Get<RatingService>();
        var train = await ResponseIdAsync("A red train crosses a bridge over a river.");
        var shown = await ratings.OfResponseAsync(train, TestPrincipals.Annotator);
        Assert.Equal(["Helpfulness", "Visual Faithfulness", "Ethical Considerations"], shown.Select(r => r.Aspect));
        Assert.Equal((1.0, "Invents a train."), (shown[1].Value!.Value, shown[1].Rationale!));

        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => ratings.RateAsync(train, "Visual Faithfulness", 2, null, TestPrincipals.Of("guest", "Viewer")));
        Assert.Contains("rated from 1 to 5, not 9", (await Assert.ThrowsAnyAsync<ArgumentException>(() => ratings.RateAsync(train, "Visual Faithfulness", 9, null, TestPrincipals.Annotator))).Message);
        // NaN compares false with both ends of the scale: it must be refused by name, not stored.
        Assert.Contains("rated from 1 to 5, not NaN", (await Assert.ThrowsAnyAsync<ArgumentException>(() => ratings.RateAsync(train, "Visual Faithfulness", double.NaN, null, TestPrincipals.Annotator))).Message);
        Assert.Contains("no aspect 'Fluency'", (await Assert.ThrowsAnyAsync<ArgumentException>(() => ratings.RateAsync(train, "Fluency", 3, null, TestPrincipals.Annotator))).Message);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => ratings.DefineAspectAsync(1, "Fluency", 0, 10, TestPrincipals.Annotator));
        Assert.Contains("already has an aspect 'Helpfulness'", (await Assert.ThrowsAnyAsync<ArgumentException>(() => ratings.DefineAspectAsync(1, "Helpfulness", 1, 5, TestPrincipals.Lead))).Message);
        await ratings.DefineAspectAsync(1, "Fluency", 0, 10, TestPrincipals.Lead);
        await ratings.RateAsync(train, "Fluency", 7, "Reads well.", TestPrincipals.Annotator);

        await AcceptAllAsync();
        await _core.Get<ApprovalService>().ApproveAsync(1, TestPrincipals.Lead, null);
        await ratings.RateAsync(train, "Visual Faithfulness", 2, "A bus, not a train, but the bridge is there.", TestPrincipals.Annotator);
        Assert.Equal((2.0, "ann@example.test"), ((await ratings.OfResponseAsync(train, TestPrincipals.Lead))[1].Value!.Value, (await ratings.OfResponseAsync(train, TestPrincipals.Lead))[1].RatedBy!));

        // v1's ratings would pair its negatives with each other, so its annotations are derived and its own kept beside.
        JsonNode Faithfulness(string folder) => JsonNode.Parse(JsonNode.Parse(File.ReadLines(Path.Combine(folder, "train.jsonl")).First())!["completions"]![2]!["source_annotations"]!.GetValue<string>())!;
        var draft = Faithfulness((await ExportAsync(new ExportOptions(1, null, ExportFormat.VlFeedback))).Folder);
        // Ratings a reviewer set take the type the source wrote ratings in: strings, as VLFeedback's "4".
        Assert.Equal("2", draft["Visual Faithfulness"]!["Rating"]!.GetValue<string>());
        Assert.Equal("7", draft["Fluency"]!["Rating"]!.GetValue<string>());
        var version = Faithfulness((await ExportAsync(new ExportOptions(1, 1, ExportFormat.VlFeedback))).Folder);
        Assert.Equal(1, version["Visual Faithfulness"]!["Rating"]!.GetValue<int>());
        Assert.Equal("Invents a train.", version["Visual Faithfulness"]!["Rationale"]!.GetValue<string>());
    }

    [Fact]
    public async Task BestRated_CanRankNegativesByOneAspectOrTheMean()
    {
        await AcceptAllAsync();
        // v1's negatives: "A bus on a road." (helpfulness 3, faithfulness 4, mean 3.5) and the train (4, 1, mean 3.33).
        async Task<string> BestNegativeAsync(string? aspect)
        {
            var (_, folder) = await ExportAsync(new ExportOptions(1, null, ExportFormat.Trl, NegativeSelection.BestRated, RatingAspect: aspect));
            return JsonNode.Parse(File.ReadLines(Path.Combine(folder, "train.jsonl")).First())!["rejected"]![0]!["content"]![0]!["text"]!.GetValue<string>();
        }
        Assert.Equal("A bus on a road.", await BestNegativeAsync("Visual Faithfulness"));
        Assert.Equal("A red train crosses a bridge over a river.", await BestNegativeAsync("Helpfulness"));
        Assert.Equal("A bus on a road.", await BestNegativeAsync(ExportOptions.MeanAspect));
        var unknown = await Assert.ThrowsAnyAsync<ArgumentException>(() => _core.Get<ExportRunner>().PlanAsync(new ExportOptions(1, null, ExportFormat.Trl, NegativeSelection.BestRated, RatingAspect: "Fluency"), "lead"));
        Assert.Contains("'vlf' has no rating aspect 'Fluency'; use 'Helpfulness', 'Visual Faithfulness', 'Ethical Considerations', 'mean'", unknown.Message);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => _core.Get<RatingService>().AspectsAsync(1, TestPrincipals.Of("guest", "Viewer")));
        Assert.Contains("only with --negatives best-rated", Assert.ThrowsAny<ArgumentException>(() => new ExportOptions(1, null, ExportFormat.Trl, RatingAspect: "Helpfulness").Validate()).Message);
    }

    [Fact]
    public async Task Listwise_WritesASamplesAnswersInRankOrder_WhereTheFormatHoldsAList()
    {
        await AcceptAllAsync();
        List<string> Responses(string folder) => [.. JsonNode.Parse(File.ReadLines(Path.Combine(folder, "train.jsonl")).First())!["completions"]!.AsArray()
            .Select(c => c!["response"]!.GetValue<string>())];
        var byHelpfulness = Responses((await ExportAsync(new ExportOptions(1, null, ExportFormat.VlFeedback, Listwise: true, RatingAspect: "Helpfulness"))).Folder);
        Assert.Equal(["A red bus waits on a wet road beside two trees.", "A red train crosses a bridge over a river.", "A bus on a road."], byHelpfulness);
        var byScore = Responses((await ExportAsync(new ExportOptions(1, null, ExportFormat.Bpo, Listwise: true))).Folder);
        Assert.Equal(["A red bus waits on a wet road beside two trees.", "A bus on a road.", "A red train crosses a bridge over a river."], byScore); // means 5, 3.5, 3.33
        Assert.Contains("hold one pair each", Assert.ThrowsAny<ArgumentException>(() => new ExportOptions(1, null, ExportFormat.LlamaFactory, Listwise: true).Validate()).Message);
    }

    [Fact]
    public async Task Listwise_RanksAnApprovedVersionToo_BestFirst_NotInFileOrder()
    {
        await AcceptAllAsync();
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Responses.Where(r => r.Text == "A red train crosses a bridge over a river.").ExecuteUpdateAsync(s => s.SetProperty(r => r.Score, 4.0)); // now above the bus's 3.5
        await _core.Get<BpoStudio.Core.Approval.ApprovalService>().ApproveAsync(1, TestPrincipals.Lead, null);
        List<string> Responses(string folder) => [.. JsonNode.Parse(File.ReadLines(Path.Combine(folder, "train.jsonl")).First())!["completions"]!.AsArray()
            .Select(c => c!["response"]!.GetValue<string>())];
        string[] best = ["A red bus waits on a wet road beside two trees.", "A red train crosses a bridge over a river.", "A bus on a road."];
        // The scores (5, 4, 3.5) would make BPO's loader pair the train over the bus, which nobody accepted: the record is
        // then scored 1 and 0 per chosen answer, and the order must still be the rank's.
        Assert.Equal(best, Responses((await ExportAsync(new ExportOptions(1, null, ExportFormat.Bpo, Listwise: true))).Folder));
        Assert.Equal(best, Responses((await ExportAsync(new ExportOptions(1, 1, ExportFormat.Bpo, Listwise: true))).Folder));
    }

    private async Task AcceptAllAsync()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        foreach (var pair in await db.Pairs.AsNoTracking().Where(p => p.DatasetId == 1 && p.Status == PairStatus.Pending).ToListAsync())
            await _core.Get<ReviewService>().AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
    }

    private async Task<long> ResponseIdAsync(string text)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Responses.Where(r => r.Text == text).Select(r => r.Id).SingleAsync();
    }

    private async Task<(ExportResult Result, string Folder)> ExportAsync(ExportOptions options)
    {
        var runner = _core.Get<ExportRunner>();
        var folder = _files.File($"export-{Guid.NewGuid():N}");
        var result = await runner.RunAsync(await runner.PlanAsync(options, "lead"), folder);
        return (result, folder);
    }
}
