using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Import;

public class DatasetImporterTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        Directory.CreateDirectory(_files.File("images/img"));
        var png = DemoScene.Generate(1).RenderPng();
        await File.WriteAllBytesAsync(_files.File("images/img/a.png"), png);
        await File.WriteAllBytesAsync(_files.File("images/img/copy.png"), png);
        await File.WriteAllBytesAsync(_files.File("outside.png"), png);
        await File.WriteAllTextAsync(_files.File("images/img/broken.png"), "not really a png");
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task LlavaHostileFile_ImportsFlagsAndRejectsExactly()
    {
        static object Turns(params string[] values) => values.Select((v, i) => new { from = i % 2 == 0 ? "human" : "gpt", value = v }).ToArray();
        var records = new List<string>
        {
            Json(new { id = "r0", image = "img/a.png", conversations = Turns("<image>\nWhat is this?", "A circle.", "And its colour?", "Red.") }),
            Json(new { id = "r1", image = "../outside.png", conversations = Turns("<image>Q1", "A1") }),
            Json(new { id = "r2", image = "/etc/passwd", conversations = Turns("<image>Q2", "A2") }),
            Json(new { id = "r3", image = "img/missing.png", conversations = Turns("<image>Q3", "A3") }),
            Json(new { id = "r4", image = "img/a.png", conversations = "not a list" }),
            Json(new { id = "r5", conversations = Turns("Q5", new string('x', 10 * 1024 * 1024)) }),
            Json(new { id = "r6", conversations = new[] { new { from = "gpt", value = "A6" }, new { from = "human", value = "Q6" } } }),
            Json(new { id = "r0", image = "img/a.png", conversations = Turns("<image>\nWhat is this?", "A circle.", "And its colour?", "Red.") }),
            Json(new { id = 8, image = "img/copy.png", conversations = Turns("Was ist <image> das? \U0001F68C", "Ein Bus.") }),
            Json(new { id = "r9", image = "img/broken.png", conversations = Turns("<image>Q9", "A9") }),
            Json(new { id = "r10", conversations = Turns("Text only?", "Yes.") }),
        };
        var path = _files.File("llava.json");
        await File.WriteAllTextAsync(path, "[" + string.Join(",\n", records) + ",\n{\"id\": \"r11\", \"conversations\": [ }\n, {\"id\":\"r12\"}]");

        var summary = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(path, "hostile", _files.File("images")));

        Assert.True(summary.Records == 12, string.Join(" | ", summary.Rejected.Select(r => r.Where + ": " + r.Reason)));
        Assert.Equal(ImportFormat.Llava, summary.Format);
        Assert.Equal(12, summary.Records); // 11 whole records and the malformed tail
        Assert.Equal(8, summary.Imported); // r0 (two turns), r1, r2, r3, 8, r9, r10; nothing after the break
        Assert.Equal(2, summary.SamplesPresent);
        Assert.Equal(1, summary.ImagesStored); // a.png and copy.png are the same bytes
        Assert.Equal(4, summary.Flagged);
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record r1" && p.Reason.Contains("outside the image root"));
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record r2" && p.Reason.Contains("absolute image path"));
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record r3" && p.Reason.Contains("does not exist"));
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record r9" && p.Reason.Contains("corrupt"));
        Assert.Equal(["record 5, id r4", "record 6, id r5", "record 7, id r6", "record 12 (line 12)"], summary.Rejected.Select(r => r.Where));
        Assert.Contains("'conversations' is missing or not an array", summary.Rejected[0].Reason);
        Assert.Contains("10,485,760 characters; the limit is 100,000", summary.Rejected[1].Reason);
        Assert.Contains("conversations[0].from is 'gpt' where 'human' was expected", summary.Rejected[2].Reason);
        Assert.Contains("malformed", summary.Rejected[3].Reason);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var samples = await db.Samples.Include(s => s.Responses).OrderBy(s => s.Id).ToListAsync();
        Assert.Equal(["r0", "r0", "r1", "r2", "r3", "8", "r9", "r10"], samples.Select(s => s.Source.RecordId));
        Assert.Equal((0, "What is this?", "A circle."), (samples[0].Source.Turn!.Value, samples[0].Prompt, samples[0].Responses.Single().Text));
        Assert.Equal((1, "And its colour?", "Red."), (samples[1].Source.Turn!.Value, samples[1].Prompt, samples[1].Responses.Single().Text));
        var bus = samples.Single(s => s.Source.RecordId == "8");
        Assert.Equal(samples[0].ImageHash, bus.ImageHash);
        Assert.DoesNotContain("<image>", bus.Prompt);
        Assert.Contains("\U0001F68C", bus.Prompt);
        Assert.Null(samples.Single(s => s.Source.RecordId == "r10").ImageHash);
        Assert.All(samples.Where(s => s.ImageProblem is not null), s => Assert.Null(s.ImageHash));
    }

    [Fact]
    public async Task ImageThroughADirectoryLinkToOutside_IsFlaggedAndNotStored()
    {
        using var outside = new TestDataFolder();
        await File.WriteAllBytesAsync(outside.File("secret.png"), DemoScene.Generate(2).RenderPng());
        Directory.CreateSymbolicLink(_files.File("images/dirlink"), outside.Path);
        var path = _files.File("linked.json");
        await File.WriteAllTextAsync(path, "[" + Json(new { id = "s", image = "dirlink/secret.png",
            conversations = new[] { new { from = "human", value = "<image>Q" }, new { from = "gpt", value = "A" } } }) + "]");

        var summary = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(path, "linked", _files.File("images")));

        Assert.Equal(0, summary.ImagesStored);
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record s" && p.Reason.Contains("link to outside the image root"));
    }

    [Fact]
    public async Task BombsAndUnsupportedFormats_FlagTheirRecordsWithTheReason_AndTheRestImports()
    {
        await File.WriteAllBytesAsync(_files.File("images/img/bomb.png"), Imaging.TestImages.BombPng(30000, 30000));
        await File.WriteAllBytesAsync(_files.File("images/img/scan.tif"), Imaging.TestImages.Tiff);
        await File.WriteAllBytesAsync(_files.File("images/img/phone.heic"), Imaging.TestImages.Heic);
        object Record(string id, string image) => new { id, image, conversations = new[] { new { from = "human", value = "<image>Q" }, new { from = "gpt", value = "A" } } };
        var path = _files.File("awkward.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new[] { Record("bomb", "img/bomb.png"), Record("tiff", "img/scan.tif"), Record("heic", "img/phone.heic"), Record("fine", "img/a.png") }));

        var summary = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(path, "awkward", _files.File("images")));

        Assert.Equal((4, 1), (summary.Imported, summary.ImagesStored));
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record bomb" && p.Reason.Contains("(900 megapixels); the limit is 50 megapixels"));
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record tiff" && p.Reason.Contains("unsupported format (TIFF)"));
        Assert.Contains(summary.FlaggedImages, p => p.Where == "record heic" && p.Reason.Contains("unsupported format (HEIC)"));
        Assert.DoesNotContain(summary.FlaggedImages, p => p.Reason.Contains("corrupt") && p.Where != "record fine");
    }

    [Fact]
    public async Task ARecordRepeatingAnothersImagePromptAndAnswer_UnderANewId_IsADuplicate_InTheFileAndAcrossFiles()
    {
        object Record(string id, string? image, string question, string answer) => image is null
            ? new { id, conversations = new[] { new { from = "human", value = question }, new { from = "gpt", value = answer } } }
            : new { id, image, conversations = new[] { new { from = "human", value = "<image>\n" + question }, new { from = "gpt", value = answer } } };
        var first = _files.File("first.json");
        await File.WriteAllTextAsync(first, JsonSerializer.Serialize(new[]
        {
            Record("r0", "img/a.png", "What is this?", "A circle."),
            Record("r1", "img/a.png", "What is this?", "A circle."),      // the same under a new id
            Record("r2", "img/copy.png", "What is this?", "A circle."),   // another path to the same bytes
            Record("r3", "img/a.png", "What is this?", "A red circle."),  // another answer: not a duplicate
            Record("t0", null, "Hello?", "Hi."),
            Record("t1", null, "Hello?", "Hi."),
        }));
        var importer = _core.Get<DatasetImporter>();

        var summary = await importer.ImportAsync(new ImportRequest(first, "repeats", _files.File("images")));

        Assert.Equal((3, 3), (summary.Imported, summary.SamplesPresent));
        Assert.Equal(["record r1", "record r2", "record t1"], summary.ContentDuplicates.Select(d => d.Where));
        Assert.All(summary.ContentDuplicates.Take(2), d => Assert.Contains("repeats record r0", d.Reason));
        Assert.Contains("repeats record t0", summary.ContentDuplicates[2].Reason);

        var second = _files.File("second.json");
        await File.WriteAllTextAsync(second, JsonSerializer.Serialize(new[] { Record("x9", "img/a.png", "What is this?", "A circle.") }));
        var again = await importer.ImportAsync(new ImportRequest(second, "repeats", _files.File("images")));
        Assert.Equal((0, 1), (again.Imported, again.SamplesPresent));
        Assert.Contains("repeats record r0", Assert.Single(again.ContentDuplicates).Reason);

        // An image met twice in one batch is loaded whole: the repeat among them is found, the new question kept.
        var third = _files.File("third.json");
        await File.WriteAllTextAsync(third, JsonSerializer.Serialize(new[] { Record("y1", "img/a.png", "Another question?", "Yes."), Record("y2", "img/a.png", "What is this?", "A circle.") }));
        var both = await importer.ImportAsync(new ImportRequest(third, "repeats", _files.File("images")));
        Assert.Equal((1, 1), (both.Imported, both.SamplesPresent));
        Assert.Contains("repeats record r0", Assert.Single(both.ContentDuplicates).Reason);

        // Another dataset showing the same image, prompt and answer is no repeat: each dataset keeps its own samples.
        var elsewhere = await importer.ImportAsync(new ImportRequest(second, "repeats elsewhere", _files.File("images")));
        Assert.Equal((1, 0), (elsewhere.Imported, elsewhere.SamplesPresent));
        Assert.Empty(elsewhere.ContentDuplicates);
    }

    private static string BpoLine(string id, string prompt, string truth, params (string Text, string Type)[] negatives) =>
        Json(new { id, prompt = "<image>\n" + prompt, image = "img/a.png", completions = negatives.Select(n => (object)new { score = 0, response = n.Text, type = n.Type })
            .Prepend(new { score = 1, response = truth, type = "gt" }).ToArray() });

    /// <summary>BPO data often arrives as one file per bootstrapping run for the same records: each run's negatives are kept.</summary>
    [Fact]
    public async Task ASecondFileForTheSameRecords_AddsTheNegativesTheSamplesLack_AndRepeatsNothing()
    {
        var weakened = _files.File("run-weakened.jsonl");
        await File.WriteAllLinesAsync(weakened,
        [
            BpoLine("a1", "What is shown?", "A red circle.", ("A blue circle.", "mllm-hal")),
            BpoLine("a2", "How many circles?", "One circle.", ("Two circles.", "mllm-hal")),
        ]);
        var injected = _files.File("run-injected.jsonl");
        await File.WriteAllLinesAsync(injected,
        [
            BpoLine("a1", "What is shown?", "A red circle.", ("A green circle.", "llm-hal"), ("a blue circle", "mllm-hal")), // the second repeats run 1's, after normalisation
            BpoLine("a2", "How many circles?", "One circle.", ("Three circles.", "llm-hal")),
            BpoLine("n7", "How many circles?", "One circle.", ("Four circles.", "llm-hal")), // a new id repeating a2's image, prompt and answer
        ]);
        var importer = _core.Get<DatasetImporter>();

        var first = await importer.ImportAsync(new ImportRequest(weakened, "runs", _files.File("images")));
        var second = await importer.ImportAsync(new ImportRequest(injected, "runs", _files.File("images")));
        var again = await importer.ImportAsync(new ImportRequest(injected, "runs", _files.File("images")));

        Assert.Equal((2L, 0L, 0L), (first.Imported, first.SamplesPresent, first.NewResponses));
        // Three negatives new; the three ground truths and run 1's negative (in other case and punctuation) repeated.
        Assert.Equal((0L, 3L, 3L, 4L), (second.Imported, second.SamplesPresent, second.NewResponses, second.RepeatedResponses));
        Assert.Equal((0L, 3L, 0L, 7L), (again.Imported, again.SamplesPresent, again.NewResponses, again.RepeatedResponses));
        var merged = Assert.Single(second.ContentDuplicates);
        Assert.Equal("record n7", merged.Where);
        Assert.Contains("record a2", merged.Reason);
        Assert.DoesNotContain("a1", string.Join(" ", second.ContentDuplicates.Select(d => d.Reason))); // a1 is the same id, not "another id"

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(2, await db.Samples.CountAsync());
        var negatives = await db.Responses.Where(r => r.Kind != ResponseKind.Gt).OrderBy(r => r.Id)
            .Select(r => new { r.Sample!.Source.RecordId, r.Text, r.Provenance.ParametersJson }).ToListAsync();
        Assert.Equal(["A blue circle.", "Two circles.", "A green circle.", "Three circles.", "Four circles."], negatives.Select(n => n.Text));
        Assert.Equal(["a1", "a2", "a1", "a2", "a2"], negatives.Select(n => n.RecordId));
        Assert.All(negatives.Skip(2), n => Assert.Contains("run-injected.jsonl", n.ParametersJson)); // which import brought it
        Assert.Equal(5, await db.Pairs.CountAsync()); // each new negative paired with its sample's ground truth, checked
        var pairsOfNew = await db.Pairs.Where(p => p.RejectedResponse!.Text == "Four circles.").CountAsync();
        Assert.Equal(1, pairsOfNew);
        Assert.True(await db.Pairs.AllAsync(p => p.ContentFingerprint != null), "the merged pairs were checked");
    }

    [Fact]
    public async Task BpoJsonl_BuildsPairsReportsBadLines_AndReimportOnlyCountsDuplicates()
    {
        var path = _files.File("bpo.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            Json(new { prompt = "<image>\nWhat is shown?", image = "img/a.png", id = "b0", completions = new object[] { new { score = 1, response = "A red circle.", type = "gt" }, new { score = 0, response = "A blue square.", type = "llm-hal" }, new { score = 0, response = "A dog.", type = "mllm-hal" } } }),
            "{ this is not json",
            Json(new { prompt = "Q", completions = new object[] { new { score = 1, response = "A", type = "golden" } } }),
            Json(new { prompt = "Q", completions = new object[] { new { score = "high", response = "A", type = "gt" } } }),
            "",
            Json(new { prompt = "Q2", id = "b5", completions = new object[] { new { score = 1, response = "Yes.", type = "gt" }, new { score = 0, response = "No.", type = "llm-hal" } } }),
        ]);
        var importer = _core.Get<DatasetImporter>();

        var first = await importer.ImportAsync(new ImportRequest(path, "bpo", _files.File("images")));
        var second = await importer.ImportAsync(new ImportRequest(path, "bpo", _files.File("images")));

        Assert.Equal((ImportFormat.Bpo, 2L, 0L), (first.Format, first.Imported, first.SamplesPresent));
        Assert.Equal(["line 2", "line 3", "line 4"], first.Rejected.Select(r => r.Where));
        Assert.Contains("not valid JSON", first.Rejected[0].Reason);
        Assert.Contains("completions[0].type 'golden' is not one of", first.Rejected[1].Reason);
        Assert.Contains("completions[0].score is not a number", first.Rejected[2].Reason);
        Assert.Equal((0L, 2L), (second.Imported, second.SamplesPresent));

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(3, await db.Pairs.CountAsync());
        var kinds = await db.Responses.Where(r => r.Sample!.Source.RecordId == "b0").OrderBy(r => r.Id).Select(r => r.Kind).ToListAsync();
        Assert.Equal([ResponseKind.Gt, ResponseKind.LlmHal, ResponseKind.MllmHal], kinds);
    }

    [Fact]
    public async Task PromptOnlyJsonl_ViaCli_ReportsOneJsonSummary()
    {
        var path = _files.File("questions.jsonl");
        await File.WriteAllLinesAsync(path, [Json(new { ds_question_id = 1, image_path = "img/a.png", question = "What is it?" }), Json(new { ds_question_id = 2, image_path = "img/a.png", question = 5 })]);
        var output = new StringWriter();

        Assert.Equal(0, await CliApp.RunAsync(["import", path, "--dataset", "questions", "--images", _files.File("images"), "--json", $"--BpoStudio:DataDirectory={_core.DataDirectory}"], output));

        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal("prompt-only", json.RootElement.GetProperty("format").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("imported").GetInt64());
        Assert.Contains("'question' is number, not a string", json.RootElement.GetProperty("rejected")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task GenericMappingAndRollback_ViaCli()
    {
        var path = _files.File("custom.jsonl");
        await File.WriteAllLinesAsync(path, [Json(new { q = "Is it red?", a = "Yes.", b = "No." }), Json(new { q = "Is it big?", a = "No.", b = "Yes." })]);
        var config = $"--BpoStudio:DataDirectory={_core.DataDirectory}";

        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["import", path, "--dataset", "custom", "--map", "prompt=q,chosen=a,rejected=b", "--json", config], output));
        using (var json = JsonDocument.Parse(output.ToString()))
            Assert.Equal(("generic", 2L), (json.RootElement.GetProperty("format").GetString(), json.RootElement.GetProperty("imported").GetInt64()));
        var error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["import", path, "--dataset", "custom", "--map", "question", config], TextWriter.Null, error));
        Assert.Contains("--map parts look like prompt=question", error.ToString());
        error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["import", path, "--dataset", "custom", "--format", "csv", config], TextWriter.Null, error));
        Assert.Contains("vl-feedback", error.ToString());
        error = new StringWriter(); // the vlfeedback export's README writes the format as vlfeedback: accepted too
        Assert.Equal(0, await CliApp.RunAsync(["import", path, "--dataset", "as-vlf", "--format", "vlfeedback", "--json", config], output = new StringWriter(), error));
        using (var json = JsonDocument.Parse(output.ToString()))
            Assert.Equal("vl-feedback", json.RootElement.GetProperty("format").GetString());

        output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["import", "--rollback", "custom.jsonl", "--dataset", "custom", config], output));
        Assert.Contains("2 samples removed", output.ToString());
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);
}
