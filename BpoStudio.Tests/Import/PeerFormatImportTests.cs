using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Import;

public class PeerFormatImportTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;
    private byte[] _png = [];

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        Directory.CreateDirectory(_files.File("images"));
        _png = DemoScene.Generate(3).RenderPng();
        await File.WriteAllBytesAsync(_files.File("images/a.png"), _png);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task Povid_PairsEachTurnWithItsRejectedTurn()
    {
        object Turns(params string[] v) => v.Select((x, i) => new { from = i % 2 == 0 ? "human" : "gpt", value = x }).ToArray();
        var summary = await ImportAsync("povid.json", "[" + string.Join(",",
            Json(new { id = "p1", image = "a.png", conversations = Turns("<image>\nWhat is here?", "A red bus.", "Where?", "On a road."), rejected_conversations = Turns("<image>\nWhat is here?", "A green bus.", "Where?", "In a lake.") }),
            Json(new { id = "p2", image = "../a.png", conversations = Turns("Q", "A"), rejected_conversations = Turns("Q", "B") }),
            Json(new { id = "p3", image = "a.png", conversations = Turns("Q", "A") })) + "]");

        Assert.Equal(ImportFormat.Povid, summary.Format);
        Assert.Equal((3L, 1L), (summary.Imported, summary.Flagged));
        Assert.Contains("'rejected_conversations' is missing", Assert.Single(summary.Rejected).Reason);
        var samples = await SamplesAsync();
        Assert.Equal((0, "What is here?"), (samples[0].Source.Turn, samples[0].Prompt));
        Assert.Equal(["A red bus.", "A green bus."], samples[0].Responses.OrderBy(r => r.Id).Select(r => r.Text));
        Assert.Equal(ResponseKind.LlmHal, samples[1].Responses.Single(r => r.Text == "In a lake.").Kind);
        Assert.Equal(3, await PairCountAsync());
    }

    [Fact]
    public async Task VlFeedback_ChoosesTheBestRatedAndKeepsEveryRating()
    {
        static object Rated(string response, string model, object helpful, object faithful) => new
        {
            annotations = new Dictionary<string, object> { ["Helpfulness"] = new { Rating = helpful, Rationale = "r" }, ["Visual Faithfulness"] = new { Rating = faithful, Rationale = "r" }, ["Ethical Considerations"] = new { Rating = "N/A", Rationale = "" } },
            model, response,
        };
        var summary = await ImportAsync("vlf.jsonl", string.Join("\n",
            Json(new { id = "v1", prompt = "Describe.", img_path = "a.png", models = new[] { "m1", "m2", "m3" }, completions = new[] { Rated("ok", "m1", 3, "4"), Rated("best", "m2", "5", 4), Rated("bad", "m3", 1, 2) } }),
            Json(new { id = "v2", prompt = "Describe.", completions = new[] { Rated("only one", "m1", 3, 3) } }),
            Json(new { id = "v3", prompt = "Describe.", completions = new[] { Rated("a", "m1", "N/A", "N/A"), Rated("b", "m2", 2, 2) } })));

        Assert.Equal(ImportFormat.VlFeedback, summary.Format);
        Assert.Equal(1, summary.Imported);
        Assert.Equal(["line 2, id v2", "line 3, id v3"], summary.Rejected.Select(r => r.Where));
        Assert.Contains("at least two rated", summary.Rejected[0].Reason);
        Assert.Contains("no numeric Rating", summary.Rejected[1].Reason);
        var responses = (await SamplesAsync()).Single().Responses.OrderBy(r => r.Id).ToList();
        Assert.Equal(("best", ResponseKind.Gt, 4.5, "m2"), (responses[0].Text, responses[0].Kind, responses[0].Score!.Value, responses[0].Provenance.Model));
        Assert.Equal([("ok", 3.5), ("bad", 1.5)], responses.Skip(1).Select(r => (r.Text, r.Score!.Value)));
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var ratings = await db.ResponseRatings.Where(r => r.ResponseId == responses[2].Id).OrderBy(r => r.Id).ToListAsync();
            Assert.Equal([("Helpfulness", 1.0, "1", "r"), ("Visual Faithfulness", 2.0, "2", "r"), ("Ethical Considerations", (double?)null, "\"N/A\"", "")],
                ratings.Select(r => (r.Aspect, r.Value, r.Raw!, r.Rationale!)));
            Assert.Equal(["Helpfulness", "Visual Faithfulness", "Ethical Considerations"], await db.RatingAspects.OrderBy(a => a.Id).Select(a => a.Name).ToListAsync());
        }
        Assert.Equal(2, await PairCountAsync());
    }

    [Fact]
    public async Task RlaifV_StoresEmbeddedImageBytesOrReadsPaths()
    {
        var summary = await ImportAsync("rlaifv.jsonl", string.Join("\n",
            Json(new { ds_name = "OmniLMM", idx = 7, question = "What color?", chosen = "Red.", rejected = "Blue.", image_path = "a.png" }),
            Json(new { ds_name = "OmniLMM", idx = 8, question = "How many?", chosen = "Two.", rejected = "Three.", image = new { bytes = Convert.ToBase64String(_png), path = "x.png" } }),
            Json(new { ds_name = "OmniLMM", idx = 9, question = "Q", chosen = "A", rejected = "B", image = new { bytes = "%%% not base64", path = "y.png" } })));

        Assert.Equal(ImportFormat.RlaifV, summary.Format);
        Assert.Equal((2L, 0L), (summary.Imported, summary.Flagged));
        Assert.Contains("not base64", Assert.Single(summary.Rejected).Reason);
        var samples = await SamplesAsync();
        var hash = Convert.ToHexStringLower(SHA256.HashData(_png));
        Assert.All(samples, s => Assert.Equal(hash, s.ImageHash));
        Assert.Equal(["OmniLMM/7", "OmniLMM/8"], samples.Select(s => s.Source.RecordId));
        Assert.Equal([ResponseKind.Gt, ResponseKind.MllmHal], samples[0].Responses.OrderBy(r => r.Id).Select(r => r.Kind));
    }

    // An RLAIF-V row's origin goes back out in an rlhf-v export: the reference pass json.loads origin_split, so a JSON
    // value stays as it was and a plain one becomes a JSON string; a row without one gets {"split": ...}.
    [Fact]
    public async Task RlaifVOrigin_IsKept_AndExportedAsRlaifVsReferencePassReadsIt()
    {
        const string split = """{"model": "OmniLMM-12B", "feedback_model": "RLAIF-V-7B", "type": "detailed_description"}""";
        await ImportAsync("rlaifv.jsonl", string.Join("\n",
            Json(new { ds_name = "RLAIF-V", idx = 1, question = "What color?", chosen = "Red.", rejected = "Blue.", image_path = "a.png", origin_dataset = "COCO", origin_split = split }),
            Json(new { ds_name = "RLAIF-V", idx = 2, question = "How many?", chosen = "Two.", rejected = "Three.", image_path = "a.png", origin_dataset = "VQAv2", origin_split = "train" }),
            Json(new { idx = 3, question = "Where?", chosen = "Here.", rejected = "There.", image_path = "a.png" })));
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, PairStatus.Accepted));
        var dataset = (await _core.Get<DatasetQueries>().ListAsync()).Single(d => d.Name == "peers").Id;
        var runner = _core.Get<Core.Export.ExportRunner>();
        var result = await runner.RunAsync(await runner.PlanAsync(new Core.Export.ExportOptions(dataset, null, Core.Export.ExportFormat.RlhfV), "lead"), _files.File("rlhf-v"));

        var rows = Export.TrainerLoaderChecks.RlhfV(result.Folder).OrderBy(r => r.Question).ToList();
        Assert.Equal([("How many?", "\"train\"", "VQAv2", "RLAIF-V"), ("What color?", split, "COCO", "RLAIF-V"), ("Where?", """{"split":"train"}""", "bpostudio", "bpostudio")],
            rows.Select(r => (r.Question, r.OriginSplit, r.OriginDataset, r.DsName)));
    }

    [Fact]
    public async Task RlaifVParquetShard_IsReadRowGroupByRowGroup_WithEmbeddedImages()
    {
        var path = _files.File("rlaif-v-00000.parquet");
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
        {
            RlaifRow Row(int idx, byte[]? bytes) => new() { DsName = "OmniLMM", Idx = idx, Question = $"Q{idx}?", Chosen = $"chosen {idx}", Rejected = $"rejected {idx}", ImagePath = $"img/{idx}.png", Image = bytes is null ? null : new BpoStudio.Core.Export.ParquetImage { Bytes = bytes, Path = $"{idx}.png" } };
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[] { Row(0, _png), Row(1, _png) }, file);
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[] { Row(2, _png), Row(3, null) }, file, new Parquet.ParquetOptions { Append = true });
        }

        var summary = await ImportAsync("rlaif-v-00000.parquet", null!, skipWrite: true);

        Assert.Equal((ImportFormat.RlaifV, 4L, 4L), (summary.Format, summary.Records, summary.Imported));
        Assert.Equal(1, summary.Flagged); // row 3 has only a path, which is not under the image folder
        var samples = await SamplesAsync();
        var hash = Convert.ToHexStringLower(SHA256.HashData(_png));
        Assert.Equal([hash, hash, hash, null], samples.Select(s => s.ImageHash));
        Assert.Equal(["OmniLMM/0", "OmniLMM/1", "OmniLMM/2", "OmniLMM/3"], samples.Select(s => s.Source.RecordId));
    }

    public sealed class RlaifRow
    {
        [JsonPropertyName("ds_name")] public string DsName { get; set; } = "";
        [JsonPropertyName("image")] public BpoStudio.Core.Export.ParquetImage? Image { get; set; }
        [JsonPropertyName("question")] public string Question { get; set; } = "";
        [JsonPropertyName("chosen")] public string Chosen { get; set; } = "";
        [JsonPropertyName("rejected")] public string Rejected { get; set; } = "";
        [JsonPropertyName("idx")] public long Idx { get; set; }
        [JsonPropertyName("image_path")] public string ImagePath { get; set; } = "";
    }

    [Fact]
    public async Task Mdpo_KeepsTheTemplatedPromptForRoundTripsAndCleansThePlaceholder()
    {
        var summary = await ImportAsync("mdpo.json", "[" + Json(new { img_path = "a.png", prompt = "USER: <image>\nWhat is shown? ASSISTANT:", chosen = "A bus.", rejected = "A train." }) + "]");

        Assert.Equal((ImportFormat.Mdpo, 1L), (summary.Format, summary.Imported));
        var sample = (await SamplesAsync()).Single();
        Assert.Equal("USER: \nWhat is shown? ASSISTANT:", sample.Prompt);
        Assert.Equal("USER: <image>\nWhat is shown? ASSISTANT:", sample.Source.OriginalPrompt);
        Assert.NotNull(sample.ImageHash);
    }

    [Fact]
    public async Task Generic_UsesTheFieldMapping_AndNamesTheMissingField()
    {
        var mapping = new FieldMapping(Prompt: "q.text", Chosen: "answer", Rejected: "wrong", Image: "meta.img", Id: "uid");
        var summary = await ImportAsync("custom.jsonl", string.Join("\n",
            Json(new { uid = "c1", q = new { text = "What is it?" }, answer = "A cat.", wrong = "A dog.", meta = new { img = "a.png" } }),
            Json(new { uid = "c2", q = new { title = "no text" }, answer = "A" }),
            Json(new { uid = "c3", q = new { text = 42 }, answer = "A" }),
            Json(new { uid = "c4", q = new { text = "Only an answer?" }, answer = "Yes." })), ImportFormat.Generic, mapping);

        Assert.Equal(2, summary.Imported);
        Assert.Equal(["line 2", "line 3"], summary.Rejected.Select(r => r.Where));
        Assert.Contains("'q.text' is missing", summary.Rejected[0].Reason);
        Assert.Contains("'q.text' is number, not a string", summary.Rejected[1].Reason);
        var samples = await SamplesAsync();
        Assert.Equal(["c1", "c4"], samples.Select(s => s.Source.RecordId));
        Assert.Equal(2, samples[0].Responses.Count);
        Assert.Single(samples[1].Responses);
        Assert.Equal(1, await PairCountAsync());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File("custom.jsonl"), "x", null, ImportFormat.Generic)));
    }

    [Fact]
    public async Task TheScoresAndRatingsTheDataCarried_BecomeScorersOfItsPairs_OnceEach()
    {
        static object Completion(string response, double score, string type) => new { response, score, type };
        // BPO: a negative the data itself scores above the ground truth, one scored the same, one below.
        await ImportAsync("bpo.jsonl", string.Join("\n",
            Json(new { id = "b1", prompt = "Q1", image = "a.png", completions = new[] { Completion("right", 0.2, "gt"), Completion("worse?", 0.7, "llm-hal") } }),
            Json(new { id = "b2", prompt = "Q2", image = "a.png", completions = new[] { Completion("right", 0.5, "gt"), Completion("same", 0.5, "llm-hal") } }),
            Json(new { id = "b3", prompt = "Q3", image = "a.png", completions = new[] { Completion("right", 1, "gt"), Completion("wrong", 0, "llm-hal") } })), ImportFormat.Bpo);
        static object Rated(string response, object helpful, object faithful) => new
        {
            annotations = new Dictionary<string, object> { ["Helpfulness"] = new { Rating = helpful, Rationale = "r" }, ["Visual Faithfulness"] = new { Rating = faithful, Rationale = "r" } },
            model = "m", response,
        };
        await ImportAsync("vlf.jsonl", Json(new { id = "v1", prompt = "Describe.", img_path = "a.png", completions = new[] { Rated("best", 5, 4), Rated("ok", 3, 4) } }));

        async Task<List<(string Rejected, string Scorer, double? Prefer, string? Why)>> ScoresAsync()
        {
            await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
            return (await db.PairScores.OrderBy(s => s.PairId).ThenBy(s => s.Scorer)
                .Select(s => new { Rejected = db.Pairs.Where(p => p.Id == s.PairId).Select(p => p.RejectedResponse!.Text).Single(), s.Scorer, s.PreferChosen, s.Rationale, s.Template, s.Confidence }).ToListAsync())
                .Select(s => { Assert.Equal(("", 1.0), (s.Template, s.Confidence)); return (s.Rejected, s.Scorer, s.PreferChosen, s.Rationale); }).ToList();
        }
        var scores = await ScoresAsync();
        Assert.Equal([("worse?", "data:score", 0.0), ("same", "data:score", 0.5), ("wrong", "data:score", 1.0), ("ok", "data:ratings", 1.0), ("ok", "data:score", 1.0)],
            scores.Select(s => (s.Rejected, s.Scorer, s.Prefer!.Value)));
        Assert.StartsWith("mean rating of the chosen answer 4.5", scores.Single(s => s.Scorer == "data:ratings").Why);
        Assert.StartsWith("the data scores the chosen answer 0.2", scores[0].Why);

        // Importing the files again adds no pair, so no score; the triage filter finds the pair whose data prefers the negative.
        await ImportAsync("bpo.jsonl", "", ImportFormat.Bpo, skipWrite: true);
        Assert.Equal(scores, await ScoresAsync());
        var (total, rows) = await _core.Get<BpoStudio.Core.Triage.TriageQueries>().PairsAsync(1, new PairFilter(Scorer: "data:score", ScoreBelow: 0.2));
        Assert.Equal("worse?", Assert.Single(rows).Rejected);
    }

    private async Task<ImportSummary> ImportAsync(string name, string content, ImportFormat? format = null, FieldMapping? mapping = null, bool skipWrite = false)
    {
        if (!skipWrite) await File.WriteAllTextAsync(_files.File(name), content);
        return await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File(name), "peers", _files.File("images"), format, "test", mapping));
    }

    private async Task<List<Sample>> SamplesAsync()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Samples.Include(s => s.Responses).OrderBy(s => s.Id).ToListAsync();
    }

    private async Task<int> PairCountAsync()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Pairs.CountAsync();
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);
}
