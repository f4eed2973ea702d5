using System.Text.Json.Nodes;
using BpoStudio.Cli;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Export;
using BpoStudio.Core.Feedback;
using BpoStudio.Core.Import;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>
/// The vlfeedback export as Silkie's trainer reads it (<see cref="SilkieLoader"/>): exactly the accepted pairs, over
/// source ratings that would pair negatives with each other, a generated negative with no ratings, an edited rating,
/// a text-only sample and a dataset with no aspects at all; and its README's re-import command, run verbatim.
/// </summary>
public class VlFeedbackExportTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    // v1's means (3.5, 5, 3.33) would make Silkie pair one negative over the other; v2's (1.5, 5) make exactly its pair;
    // v3 has no image. Ratings as VLFeedback writes them (strings), with numbers and "N/A" beside them.
    private static readonly string[] Records =
    [
        """{"id":"v1","prompt":"<image>\nDescribe the scene.","models":["m-a","m-b","m-c"],"completions":[{"annotations":{"Helpfulness":{"Rating":"3","Rationale":"Plain."},"Visual Faithfulness":{"Rating":4,"Rationale":"Mostly right."},"Ethical Considerations":{"Rating":"N/A","Rationale":""}},"model":"m-a","response":"A bus on a road."},{"annotations":{"Helpfulness":{"Rating":"5","Rationale":"Rich."},"Visual Faithfulness":{"Rating":"5","Rationale":"Exact."},"Ethical Considerations":{"Rating":"5","Rationale":"Fine."}},"model":"m-b","response":"A red bus waits on a wet road beside two trees."},{"annotations":{"Helpfulness":{"Rating":"4","Rationale":"Detailed."},"Visual Faithfulness":{"Rating":"1","Rationale":"Invents a train."},"Ethical Considerations":{"Rating":"5","Rationale":"Fine."}},"model":"m-c","response":"A red train crosses a bridge over a river."}],"img_path":"a.png"}""",
        """{"id":"v2","prompt":"What colour is the bus?","models":["m-a","m-c"],"completions":[{"annotations":{"Helpfulness":{"Rating":"2","Rationale":"Wrong."},"Visual Faithfulness":{"Rating":"1","Rationale":"Blue is wrong."},"Ethical Considerations":{"Rating":"5","Rationale":""}},"model":"m-a","response":"Blue."},{"annotations":{"Helpfulness":{"Rating":"5","Rationale":"Right."},"Visual Faithfulness":{"Rating":"5","Rationale":"Right."},"Ethical Considerations":{"Rating":"5","Rationale":""}},"model":"m-c","response":"Red."}],"img_path":"a.png"}""",
        """{"id":"v3","prompt":"Name a colour.","completions":[{"annotations":{"Helpfulness":{"Rating":"5","Rationale":""}},"response":"Red."},{"annotations":{"Helpfulness":{"Rating":"1","Rationale":""}},"response":"Loud."}]}""",
    ];

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        Directory.CreateDirectory(_files.File("images"));
        await File.WriteAllBytesAsync(_files.File("images/a.png"), DemoScene.Generate(3).RenderPng());
        await File.WriteAllTextAsync(_files.File("vlf.jsonl"), string.Join("\n", Records));
        var importer = _core.Get<DatasetImporter>();
        Assert.Equal(3, (await importer.ImportAsync(new ImportRequest(_files.File("vlf.jsonl"), "vlf", _files.File("images"), null, "test"))).Imported);
        // A negative generated later for v1 joins its sample (a merge), with no ratings of its own.
        await File.WriteAllTextAsync(_files.File("more.jsonl"), """{"id":"v1","prompt":"<image>\nDescribe the scene.","image":"a.png","completions":[{"score":1,"response":"A red bus waits on a wet road beside two trees.","type":"gt"},{"score":0,"response":"A blue tram in the snow.","type":"llm-hal"}]}""");
        await importer.ImportAsync(new ImportRequest(_files.File("more.jsonl"), "vlf", _files.File("images"), ImportFormat.Bpo, "test"));
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task Silkie_BuildsExactlyTheAcceptedPairs_InAFileOfOneRatingType_AndTheReadmeReimportGivesTheRatingsBack()
    {
        await AcceptAllAsync("vlf");
        var red = await ResponseIdAsync("vlf", "Red.", "What colour is the bus?");
        await _core.Get<RatingService>().RateAsync(red, "Visual Faithfulness", 4, "Red, but a little dark.", TestPrincipals.Annotator);

        var (result, folder) = await ExportAsync("vlf");
        var file = Path.Combine(folder, "train.jsonl");
        var built = SilkieLoader.Pairs(file).Select(p => (p.Chosen, p.Rejected)).ToList();
        Assert.Equal((await AcceptedAsync("vlf", withImage: true)).Order(), built.Order());
        Assert.Equal(4, built.Count);

        // v2's ratings make its pair: written as they are, the edited one in the source's type (a string).
        var v2 = File.ReadLines(file).Select(l => JsonNode.Parse(l)!).Single(r => r["id"]!.GetValue<string>() == "v2");
        Assert.Equal("4", v2["completions"]![1]!["annotations"]!["Visual Faithfulness"]!["Rating"]!.GetValue<string>());
        Assert.Null(v2["completions"]![1]!["source_annotations"]);
        // v1's would pair the bus over the train: derived, each answer's own ratings kept beside.
        var v1 = File.ReadLines(file).Select(l => JsonNode.Parse(l)!).Single(r => r["id"]!.GetValue<string>() == "v1");
        Assert.Equal("{}", v1["completions"]!.AsArray().Single(c => c!["response"]!.GetValue<string>() == "A blue tram in the snow.")!["source_annotations"]!.GetValue<string>());
        var v3 = Assert.Single(result.Manifest.Skipped, s => s.Reason.Contains("need an image"));
        Assert.Contains("Silkie", v3.Reason);

        // The README's command, verbatim but for the dataset's name and the folder the relative paths mean.
        var readme = await File.ReadAllLinesAsync(Path.Combine(folder, "README.md"));
        var command = readme.Select(l => l.Trim()).Single(l => l.StartsWith("BpoStudio import ", StringComparison.Ordinal));
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(a => a == "<name>" ? "vlf again" : File.Exists(Path.Combine(folder, a)) || Directory.Exists(Path.Combine(folder, a)) ? Path.Combine(folder, a) : a).ToList();
        var error = new StringWriter();
        Assert.True(0 == await CliApp.RunAsync([.. args, $"--BpoStudio:DataDirectory={_core.DataDirectory}"], new StringWriter(), error), error.ToString());
        Assert.Equal(await RatingsAsync("vlf", withImage: true), await RatingsAsync("vlf again", withImage: true));
        Assert.Equal((await AcceptedAsync("vlf", withImage: true)).Order(), (await PairsAsync("vlf again")).Order());
    }

    [Fact]
    public async Task ADatasetWithoutAspects_IsRatedFromItsDecisions_AndSilkieBuildsItsAcceptedPairs()
    {
        await File.WriteAllTextAsync(_files.File("bpo.jsonl"), string.Join("\n",
            """{"id":"b1","prompt":"What is shown?","image":"a.png","completions":[{"score":1,"response":"A red bus.","type":"gt"},{"score":0,"response":"A blue train.","type":"llm-hal"},{"score":0,"response":"A green car.","type":"mllm-hal"}]}""",
            """{"id":"b2","prompt":"How many trees?","image":"a.png","completions":[{"score":1,"response":"Two.","type":"gt"},{"score":0,"response":"Five.","type":"llm-hal"}]}"""));
        await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File("bpo.jsonl"), "plain", _files.File("images"), ImportFormat.Bpo, "test"));
        await AcceptAllAsync("plain");
        var (_, folder) = await ExportAsync("plain");
        var built = SilkieLoader.Pairs(Path.Combine(folder, "train.jsonl")).Select(p => (p.Chosen, p.Rejected)).ToList();
        Assert.Equal((await AcceptedAsync("plain", withImage: true)).Order(), built.Order());
        Assert.Equal(3, built.Count);
    }

    private async Task AcceptAllAsync(string dataset)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        foreach (var pair in await db.Pairs.AsNoTracking().Where(p => p.Sample!.Dataset!.Name == dataset && p.Status == PairStatus.Pending).ToListAsync())
            await _core.Get<ReviewService>().AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
    }

    private async Task<List<(string Chosen, string Rejected)>> AcceptedAsync(string dataset, bool withImage)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return [.. (await db.Pairs.AsNoTracking().Where(p => p.Sample!.Dataset!.Name == dataset && p.Status == PairStatus.Accepted && (!withImage || p.Sample!.ImageHash != null))
            .Select(p => new { Chosen = p.ChosenResponse!.Text, Rejected = p.RejectedResponse!.Text }).ToListAsync()).Select(p => (p.Chosen, p.Rejected))];
    }

    private async Task<List<(string Chosen, string Rejected)>> PairsAsync(string dataset)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return [.. (await db.Pairs.AsNoTracking().Where(p => p.Sample!.Dataset!.Name == dataset).Select(p => new { Chosen = p.ChosenResponse!.Text, Rejected = p.RejectedResponse!.Text }).ToListAsync())
            .Select(p => (p.Chosen, p.Rejected))];
    }

    // Each answer's current ratings, by its sample's prompt and its text.
    private async Task<List<string>> RatingsAsync(string dataset, bool withImage)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var responses = await db.Responses.AsNoTracking().Where(r => r.Sample!.Dataset!.Name == dataset && (!withImage || r.Sample.ImageHash != null))
            .Select(r => new { r.Id, r.Text, r.Sample!.Prompt }).ToListAsync();
        var ratings = await RatingService.CurrentAsync(db, [.. responses.Select(r => r.Id)], null, default);
        return [.. responses.SelectMany(r => (ratings.GetValueOrDefault(r.Id) ?? []).Select(v => $"{r.Prompt} | {r.Text} | {v.Aspect} = {v.Value} ({v.Rationale})")
            .DefaultIfEmpty($"{r.Prompt} | {r.Text} | unrated")).Order()];
    }

    private async Task<long> ResponseIdAsync(string dataset, string text, string prompt)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Responses.Where(r => r.Sample!.Dataset!.Name == dataset && r.Text == text && r.Sample.Prompt.Contains(prompt)).Select(r => r.Id).SingleAsync();
    }

    private async Task<(ExportResult Result, string Folder)> ExportAsync(string dataset)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var id = await db.Datasets.Where(d => d.Name == dataset).Select(d => d.Id).SingleAsync();
        var runner = _core.Get<ExportRunner>();
        var folder = _files.File($"export-{Guid.NewGuid():N}");
        return (await runner.RunAsync(await runner.PlanAsync(new ExportOptions(id, null, ExportFormat.VlFeedback), "lead"), folder), folder);
    }
}
