using System.Security.Cryptography;
using System.Text.Json;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Export;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Import;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Export;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Parquet.Serialization;

namespace BpoStudio.Tests.Datasets;

/// <summary>Samples with several images (LLaVA-OneVision, ShareGPT4V interleaved): imported in order, reviewed, weakened and exported.</summary>
public class MultiImageTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;
    private readonly Dictionary<string, string> _hashes = [];

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        Directory.CreateDirectory(_files.File("images"));
        foreach (var (name, scene) in new[] { ("a.png", 1), ("b.png", 2), ("c.png", 3) })
        {
            var png = DemoScene.Generate(scene).RenderPng();
            await File.WriteAllBytesAsync(_files.File($"images/{name}"), png);
            _hashes[name] = Convert.ToHexStringLower(SHA256.HashData(png));
        }
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task ALlavaRecordWithAnImageList_IsStoredInOrder_EveryTurnWithEveryImage_AndMismatchedPlaceholdersAreRefused()
    {
        var summary = await ImportAsync("onevision.json",
            Llava("r1", new[] { "a.png", "b.png", "c.png" }, "Image 1: <image>\nImage 2: <image>\nImage 3: <image>\nWhich one differs?", "The third.", "And the first?", "A red bus."),
            Llava("r2", new[] { "a.png", "b.png" }, "<image>\nCompare them.", "They match."),
            Llava("r3", "a.png", "<image>\nWhat is shown?", "A bus."),
            Llava("r4", new[] { "a.png", "missing.png", "c.png" }, "<image><image><image> Describe.", "Three scenes."));

        Assert.Equal((4L, 1L), (summary.Imported, summary.Flagged)); // r1's two turns, r3, r4 (flagged)
        var refused = Assert.Single(summary.Rejected);
        Assert.Contains("'image' lists 2 images but the conversation has 1 <image> placeholders; each image needs exactly one", refused.Reason);
        Assert.Contains("image 2 of 3: image 'missing.png' does not exist under the image root", Assert.Single(summary.FlaggedImages).Reason);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var samples = await db.Samples.AsNoTracking().OrderBy(s => s.Id).ToListAsync();
        var (first, second) = (samples[0], samples[1]);
        Assert.Equal([_hashes["a.png"], _hashes["b.png"], _hashes["c.png"]], first.ImageHashes);
        Assert.Equal(first.ImageHashes, second.ImageHashes);
        Assert.Equal((0, 1), (first.Source.Turn, second.Source.Turn));
        Assert.Equal(["b.png", "c.png"], first.Source.MoreImagePaths!);
        Assert.Equal("Image 1: \nImage 2: \nImage 3: \nWhich one differs?", first.Prompt);
        var single = samples.Single(s => s.Source.RecordId == "r3");
        Assert.Equal([_hashes["a.png"]], single.ImageHashes);
        Assert.Null(single.MoreImageHashes);
        // One image keeps the list column NULL: single-image rows cost nothing extra.
        Assert.Null(await db.Database.SqlQuery<string?>($"""SELECT "MoreImageHashes" AS "Value" FROM "Samples" WHERE "Id" = {single.Id}""").SingleAsync());
    }

    [Fact]
    public async Task AMultiImagePair_IsReviewedAndExportedInEveryFormat_WithOnePlaceholderOrPartPerImage()
    {
        await ImportAsync("povid.json",
            Povid("p1", ["a.png", "b.png", "c.png"], "<image>\n<image>\n<image>\nWhat changes across the images?", "The bus moves left.", "The bus turns green."),
            Povid("p2", ["a.png"], "<image>\nWhat is shown?", "A red bus.", "A blue train."),
            // Placeholders spread over the turns: each turn's record still carries all three images, and as many placeholders.
            new
            {
                id = "p3", image = new[] { "a.png", "b.png", "c.png" },
                conversations = Turns("<image>\n<image>\nCompare these two.", "The second is darker.", "<image>\nAnd this one?", "It is the brightest."),
                rejected_conversations = Turns("<image>\n<image>\nCompare these two.", "The first is darker.", "<image>\nAnd this one?", "It is the darkest."),
            });
        var reviews = _core.Get<ReviewService>();
        var queries = _core.Get<ReviewQueries>();
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            foreach (var pair in await db.Pairs.AsNoTracking().OrderBy(p => p.Id).ToListAsync())
            {
                var view = (await queries.LoadAsync(pair.Id))!;
                Assert.Equal(pair.SampleId == 2 ? 1 : 3, view.ImageHashes.Count);
                await reviews.AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
            }
        var multi = (await queries.LoadAsync(1))!;
        Assert.Equal([_hashes["a.png"], _hashes["b.png"], _hashes["c.png"]], multi.ImageHashes);
        Assert.Equal(multi.ImageHashes, multi.RejectedImageHashes); // a text pair: both sides see the same images

        foreach (var format in ExportFormats.All)
        {
            var (result, folder) = await ExportAsync(format);
            var oneImageOnly = format.Describe().MaxImages == 1;
            Assert.Equal(oneImageOnly ? 1 : 4, result.Manifest.Counts.Pairs);
            if (oneImageOnly)
            {
                Assert.Equal(3, result.Manifest.Skipped.Count);
                Assert.All(result.Manifest.Skipped, s => Assert.Contains($"the sample has 3 images; {format.WireName()} records hold one", s.Reason));
                continue;
            }
            Assert.Equal([3, 1, 3, 3], ImagesPerRecord(format, folder));
        }

        // An approved version's export reads the images from its own rows.
        await _core.Get<ApprovalService>().ApproveAsync(1, TestPrincipals.Lead, null);
        var (_, versionFolder) = await ExportAsync(ExportFormat.Trl, version: 1);
        Assert.Equal([3, 1, 3, 3], ImagesPerRecord(ExportFormat.Trl, versionFolder));
    }

    [Fact]
    public async Task InterleavedImages_StayWhereTheSourcePutThem_OrTheManifestSaysWhichRecordsMoved()
    {
        await ImportAsync("interleaved.json",
            Povid("i1", ["a.png", "b.png"], "Picture 1: <image>\nPicture 2: <image>\nWhich bus is bigger?", "The first.", "The second."),
            new
            {
                id = "t2", image = new[] { "a.png", "b.png" },
                conversations = Turns("<image>\nDescribe this bus.", "A red bus.", "<image>\nAnd this one?", "A green bus."),
                rejected_conversations = Turns("<image>\nDescribe this bus.", "A red tram.", "<image>\nAnd this one?", "A blue tram."),
            });
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.ExecuteUpdateAsync(p => p.SetProperty(x => x.Status, PairStatus.Accepted));

        var (trl, trlFolder) = await ExportAsync(ExportFormat.Trl);
        TrainerLoaderChecks.Trl(trlFolder, "train.jsonl");
        var rows = JsonLines(trlFolder);
        string Parts(JsonElement message) => string.Join(" | ", message.GetProperty("content").EnumerateArray()
            .Select(p => p.GetProperty("type").GetString() == "image" ? "IMAGE" : p.GetProperty("text").GetString()));
        Assert.Equal("Picture 1:  | IMAGE | \nPicture 2:  | IMAGE | \nWhich bus is bigger?", Parts(rows[0].GetProperty("prompt")[0]));
        // The second turn's image stays in the second turn; the first turn's record has only the first turn's place for
        // one of its two images, so the other follows the question and the manifest names the record.
        var second = rows.Single(r => r.GetProperty("prompt").GetArrayLength() == 3).GetProperty("prompt");
        Assert.Equal(("IMAGE | Describe this bus.", "IMAGE | And this one?"), (Parts(second[0]), Parts(second[2])));
        Assert.Equal("IMAGE | Describe this bus. | IMAGE", Parts(rows.Single(r => r.GetProperty("prompt").GetArrayLength() == 1 && !Parts(r.GetProperty("prompt")[0]).StartsWith("Picture")).GetProperty("prompt")[0]));
        Assert.Equal(["t2"], trl.Manifest.Counts.ImagesMovedIn);

        var (_, factoryFolder) = await ExportAsync(ExportFormat.LlamaFactory);
        TrainerLoaderChecks.LlamaFactory(factoryFolder, "train.jsonl");
        Assert.Equal("Picture 1: <image>\nPicture 2: <image>\nWhich bus is bigger?", JsonLines(factoryFolder)[0].GetProperty("conversations")[0].GetProperty("value").GetString());
        var (_, openAiFolder) = await ExportAsync(ExportFormat.OpenAi);
        TrainerLoaderChecks.OpenAi(openAiFolder, "train.jsonl");
        Assert.Equal(["text", "image_url", "text", "image_url", "text"], JsonLines(openAiFolder)[0].GetProperty("input").GetProperty("messages")[0].GetProperty("content").EnumerateArray().Select(p => p.GetProperty("type").GetString()));
        // S-VCO puts every image after the instruction: the interleaved record and the turns' records are named.
        var (svco, _) = await ExportAsync(ExportFormat.Svco);
        Assert.Equal(["i1", "t2", "t2 turn 2"], svco.Manifest.Counts.ImagesMovedIn);
    }

    [Fact]
    public async Task ImagePairs_WeakenTheChosenImageOrAll_SayWhichInProvenance_AndExportTheRejectedSidesImages()
    {
        await ImportAsync("onevision.json", Llava("r1", new[] { "a.png", "b.png", "c.png" }, "<image><image><image>\nWhat differs?", "The third."));
        await RunJobAsync("image-pair:pixelate", weakenImage: 2);
        await RunJobAsync("image-pair:random-mask", weakenImage: null);
        var failed = await RunJobAsync("image-pair:gaussian-blur", weakenImage: 5);
        var failure = Assert.Single(await _core.Get<JobService>().FailuresAsync(failed.Id));
        Assert.Contains("image 5 was chosen but the sample has 3 images", failure.Reason);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var sample = await db.Samples.AsNoTracking().SingleAsync();
        var one = await db.Responses.AsNoTracking().SingleAsync(r => r.Provenance.Method == "image-pair:pixelate");
        Assert.Equal(1, one.Provenance.WeakenedImageIndex);
        Assert.Null(one.Provenance.MoreWeakenedImageHashes);
        Assert.Equal([sample.ImageHashes[0], one.Provenance.WeakenedImageHash!, sample.ImageHashes[2]], one.Provenance.WeakenedImages(sample.ImageHashes));
        using (var parameters = JsonDocument.Parse(one.Provenance.ParametersJson!))
        {
            Assert.Equal((2, 3), (parameters.RootElement.GetProperty("scope").GetProperty("image").GetInt32(), parameters.RootElement.GetProperty("scope").GetProperty("of").GetInt32()));
            // Reproducible from (image, transform, parameters, seed): image 2 weakened with the seed gives the stored bytes.
            var seed = parameters.RootElement.GetProperty("weakening").GetProperty("seed").GetInt64();
            var again = _core.Get<ImageWeakener>().Weaken(await File.ReadAllBytesAsync(_files.File("images/b.png")), new WeakeningSpec("pixelate"), seed);
            Assert.Equal(again.Png, await _core.Get<ImageStore>().ReadAsync(one.Provenance.WeakenedImageHash!));
        }
        var all = await db.Responses.AsNoTracking().SingleAsync(r => r.Provenance.Method == "image-pair:random-mask");
        Assert.Null(all.Provenance.WeakenedImageIndex);
        var weakenedAll = all.Provenance.WeakenedImages(sample.ImageHashes);
        Assert.Equal(3, weakenedAll.Count);
        Assert.All(weakenedAll.Zip(sample.ImageHashes), p => Assert.NotEqual(p.First, p.Second));
        Assert.Contains("\"images\":\"all\"", all.Provenance.ParametersJson);

        var pair = await db.Pairs.AsNoTracking().SingleAsync(p => p.RejectedResponseId == one.Id);
        Assert.Equal(1, (await _core.Get<ReviewQueries>().LoadAsync(pair.Id))!.RejectedImageHashes.ToList().IndexOf(one.Provenance.WeakenedImageHash!));
        await _core.Get<ReviewService>().AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
        var (_, folder) = await ExportAsync(ExportFormat.Svco);
        var record = Assert.Single(TrainerLoaderChecks.Svco(folder, "train.json"));
        var chosen = record.GetProperty("chosen_images").EnumerateArray().Select(i => i.GetString()!).ToList();
        var rejected = record.GetProperty("rejected_images").EnumerateArray().Select(i => i.GetString()!).ToList();
        Assert.Equal(["images/a.png", "images/b.png", "images/c.png"], chosen);
        Assert.Equal([chosen[0], $"images/{one.Provenance.WeakenedImageHash}.png", chosen[2]], rejected);
    }

    /// <summary>Images each record lists, in file order, after the format's own loader rules have passed.</summary>
    private static List<int> ImagesPerRecord(ExportFormat format, string folder)
    {
        switch (format)
        {
            case ExportFormat.Trl:
                TrainerLoaderChecks.Trl(folder, "train.jsonl");
                return JsonLines(folder).Select(r => r.GetProperty("images").GetArrayLength()).ToList();
            case ExportFormat.Kto:
                TrainerLoaderChecks.Kto(folder, "train.jsonl");
                return JsonLines(folder).Where(r => r.GetProperty("label").GetBoolean()).Select(r => r.GetProperty("images").GetArrayLength()).ToList();
            case ExportFormat.LlamaFactory:
                TrainerLoaderChecks.LlamaFactory(folder, "train.jsonl");
                // Each turn keeps the placeholders the source gave it: a later turn's image stays in that turn.
                return JsonLines(folder).Select(r => r.GetProperty("conversations").EnumerateArray().Where(t => t.GetProperty("from").GetString() == "human")
                    .Sum(t => TrainerLoaderChecks.Placeholders(t.GetProperty("value").GetString()!))).ToList();
            case ExportFormat.OpenAi:
                TrainerLoaderChecks.OpenAi(folder, "train.jsonl");
                return JsonLines(folder).Select(r => r.GetProperty("input").GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "user")
                    .Sum(m => m.GetProperty("content").EnumerateArray().Count(p => p.GetProperty("type").GetString() == "image_url"))).ToList();
            case ExportFormat.Svco:
                return TrainerLoaderChecks.Svco(folder, "train.json").Select(r => r.GetProperty("chosen_images").GetArrayLength()).ToList();
            case ExportFormat.Parquet:
                var rows = ParquetSerializer.DeserializeAsync<ParquetPairRow>(Path.Combine(folder, "data", "train-00000-of-00001.parquet")).GetAwaiter().GetResult().Data;
                Assert.All(rows, row => Assert.Equal(row.Images.Count, row.Prompt.Sum(m => m.Content.Count(c => c.Type == "image"))));
                return rows.Select(r => r.Images.Count).ToList();
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "a format this test does not read yet");
        }
    }

    private static List<JsonElement> JsonLines(string folder) =>
        File.ReadLines(Path.Combine(folder, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private async Task<(ExportResult Result, string Folder)> ExportAsync(ExportFormat format, int? version = null)
    {
        var runner = _core.Get<ExportRunner>();
        var folder = _files.File($"export-{format.WireName()}-{version}");
        var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(1, version, format), "lead"), folder);
        return (result, folder);
    }

    private async Task<Job> RunJobAsync(string method, int? weakenImage)
    {
        var parameters = new GenerationParameters(1, SampleFilter.All, [new GenerationMethod(method)], 7, WeakenImage: weakenImage).Validated(_core.Get<LlmBackend>().AvailableMethods);
        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, 1, parameters.ToJson(), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        return (await _core.Get<JobService>().GetAsync(job.Id))!;
    }

    private async Task<ImportSummary> ImportAsync(string name, params object[] records)
    {
        await File.WriteAllTextAsync(_files.File(name), JsonSerializer.Serialize(records));
        return await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File(name), "multi", _files.File("images"), null, "test"));
    }

    private static object Turns(params string[] values) => values.Select((v, i) => new { from = i % 2 == 0 ? "human" : "gpt", value = v }).ToArray();

    private static object Llava(string id, object image, params string[] turns) => new { id, image, conversations = Turns(turns) };

    private static object Povid(string id, string[] image, string question, string answer, string rejected) =>
        new { id, image, conversations = Turns(question, answer), rejected_conversations = Turns(question, rejected) };
}
