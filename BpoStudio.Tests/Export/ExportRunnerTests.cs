using BpoStudio.Core.Accounts;
using System.Security.Cryptography;
using System.Text.Json;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Parquet;
using Parquet.Serialization;

namespace BpoStudio.Tests.Export;

public class ExportRunnerTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _out = new();
    private CoreServices _core = null!;
    private int _datasetId;
    private VersionSummary _version = null!;
    private long _placeholderPair, _latePlaceholderPair, _flaggedSample;
    private int _acceptedPairs;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        await db.Pairs.ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        _acceptedPairs = await db.Pairs.CountAsync();
        // Records no trainer would survive: negatives with a literal <image> (one first in its sample, one after a pair
        // that passes), and a sample whose image is flagged.
        var pair = await db.Pairs.OrderBy(p => p.Id).FirstAsync();
        _placeholderPair = pair.Id;
        var secondSample = await db.Pairs.Where(p => p.SampleId > pair.SampleId).MinAsync(p => p.SampleId);
        var late = await db.Pairs.Where(p => p.SampleId == secondSample).OrderByDescending(p => p.Id).FirstAsync();
        _latePlaceholderPair = late.Id;
        await db.Responses.Where(r => r.Id == pair.RejectedResponseId || r.Id == late.RejectedResponseId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, "There is an <image> of a dog."));
        _flaggedSample = await db.Samples.OrderByDescending(s => s.Id).Select(s => s.Id).FirstAsync();
        await db.Samples.Where(s => s.Id == _flaggedSample).ExecuteUpdateAsync(s => s.SetProperty(x => x.ImageProblem, "image 'x.png' does not exist under the image root"));
        _version = await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _out.Dispose();
    }

    [Theory]
    [InlineData(ExportFormat.Trl)]
    [InlineData(ExportFormat.LlamaFactory)]
    [InlineData(ExportFormat.OpenAi)]
    [InlineData(ExportFormat.Bpo)]
    [InlineData(ExportFormat.Mdpo)]
    [InlineData(ExportFormat.Svco)]
    public async Task JsonFormats_PassTheirLoaderRules_AndListWhatWasLeftOut(ExportFormat format)
    {
        var (result, folder) = await ExportAsync(new ExportOptions(_datasetId, 1, format));
        var manifest = result.Manifest;

        var checkedRecords = format switch
        {
            ExportFormat.Trl => TrainerLoaderChecks.Trl(folder, "train.jsonl"),
            ExportFormat.LlamaFactory => TrainerLoaderChecks.LlamaFactory(folder, "train.jsonl"),
            ExportFormat.OpenAi => TrainerLoaderChecks.OpenAi(folder, "train.jsonl"),
            ExportFormat.Mdpo => TrainerLoaderChecks.Mdpo(folder, "train.jsonl"),
            ExportFormat.Svco => TrainerLoaderChecks.Svco(folder, "train.json").Count,
            _ => TrainerLoaderChecks.Bpo(folder, "train.jsonl"),
        };
        var flaggedPairs = 2; // the demo gives every sample two negatives
        var skipped = format == ExportFormat.Bpo ? flaggedPairs : flaggedPairs + 2; // BPO keeps texts as they are
        Assert.Equal(skipped, manifest.Counts.Skipped);
        Assert.Equal(_acceptedPairs - skipped, manifest.Counts.Pairs);
        Assert.Equal(format == ExportFormat.Bpo ? manifest.Counts.Samples : manifest.Counts.Pairs, checkedRecords); // samples written, the flagged one not among them
        Assert.All(manifest.Skipped.Where(s => s.SampleId == _flaggedSample), s => Assert.Contains("image is flagged", s.Reason));
        if (format != ExportFormat.Bpo)
            foreach (var placeholder in new[] { _placeholderPair, _latePlaceholderPair })
                Assert.Contains("literal <image>", manifest.Skipped.Single(s => s.PairId == placeholder).Reason);
        Assert.False(manifest.Draft);
        Assert.Equal(_version.ContentHash, manifest.Version!.ContentHash);
        using (var written = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, ExportManifest.FileName))))
            Assert.EndsWith("Z", written.RootElement.GetProperty("version").GetProperty("approvedAt").GetString()); // a time with its zone
        Assert.Equal(manifest.Counts.Pairs, manifest.Counts.ByRejectedKind.Values.Sum());
        await AssertManifestFilesMatchAsync(folder, manifest);
        Assert.True(File.Exists(result.ZipPath));
        Assert.Contains("How to load", await File.ReadAllTextAsync(Path.Combine(folder, "README.md")));
        if (format == ExportFormat.LlamaFactory)
        {
            using var info = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "dataset_info.json")));
            var entry = info.RootElement.GetProperty("bpostudio_demo_shapes_train");
            Assert.Equal("train.jsonl", entry.GetProperty("file_name").GetString());
            Assert.True(entry.GetProperty("ranking").GetBoolean());
            Assert.Equal("conversations", entry.GetProperty("columns").GetProperty("messages").GetString());
        }
    }

    [Theory]
    [InlineData(ExportFormat.OpenAi, "as the validation file")]
    [InlineData(ExportFormat.Bpo, "The held-out pairs are in validation.jsonl")]
    public async Task AReadme_NamesTheValidationFile_WhenOneIsWritten(ExportFormat format, string expected)
    {
        var (_, folder) = await ExportAsync(new ExportOptions(_datasetId, 1, format, ValidationFraction: 0.2));
        Assert.True(File.Exists(Path.Combine(folder, "validation.jsonl")));
        var readme = await File.ReadAllTextAsync(Path.Combine(folder, "README.md"));
        Assert.Contains(expected, readme);
        Assert.Contains("validation.jsonl", readme);
        var (_, without) = await ExportAsync(new ExportOptions(_datasetId, 1, format), "without-validation");
        Assert.DoesNotContain("validation", await File.ReadAllTextAsync(Path.Combine(without, "README.md")));
    }

    [Fact]
    public async Task Kto_WritesEachDistinctAnswerOnce_ChosenDesirable_RejectedUndesirable()
    {
        var (result, folder) = await ExportAsync(new ExportOptions(_datasetId, 1, ExportFormat.Kto, ValidationFraction: 0.2));
        var manifest = result.Manifest;
        Assert.Equal("kto", manifest.Format);

        var (desirable, undesirable) = TrainerLoaderChecks.Kto(folder, "train.jsonl");
        var (validDesirable, validUndesirable) = TrainerLoaderChecks.Kto(folder, "validation.jsonl");
        // The demo's samples have one ground truth and two negatives each: one desirable and two undesirable rows,
        // less what the shared rules left out (the flagged sample, the literal <image> negatives).
        Assert.Equal(manifest.Counts.Samples, desirable + validDesirable);
        Assert.Equal(manifest.Counts.Pairs, undesirable + validUndesirable);
        Assert.True(validDesirable > 0 && validUndesirable > 0);
        Assert.Equal(4, manifest.Counts.Skipped);
        var lines = File.ReadLines(Path.Combine(folder, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(lines.Count, lines.Select(l => l.GetRawText()).Distinct().Count()); // no row twice
        Assert.Contains("KTOTrainer refuses `per_device_train_batch_size` 1", await File.ReadAllTextAsync(Path.Combine(folder, "README.md")));
        // Interleaved across samples: at every batch size the KL term pairs rows with other prompts' answers.
        foreach (var batch in new[] { 2, 3, 4, 8 })
            Assert.Equal(0, TrainerLoaderChecks.KlRowsOnTheirOwnPrompt(folder, "train.jsonl", batch));
        await AssertManifestFilesMatchAsync(folder, manifest);
        Assert.Equal(ExportFormat.Kto, ExportFormats.Parse("KTO"));
    }

    [Fact]
    public async Task Parquet_IsAHubDatasetFolder_WithConversationalColumns_ImagesEmbedded_AndACard()
    {
        var (result, folder) = await ExportAsync(new ExportOptions(_datasetId, 1, ExportFormat.Parquet, ValidationFraction: 0.2));
        var train = Path.Combine(folder, "data", "train-00000-of-00001.parquet");
        Assert.True(File.Exists(Path.Combine(folder, "data", "validation-00000-of-00001.parquet")));

        await using (var reader = await ParquetReader.CreateAsync(train))
        {
            // datasets reads the features from here: message lists for the texts, a list of Image for images.
            using var metadata = JsonDocument.Parse(reader.CustomMetadata["huggingface"]);
            var features = metadata.RootElement.GetProperty("info").GetProperty("features");
            foreach (var column in new[] { "prompt", "chosen", "rejected" })
            {
                Assert.Equal("List", features.GetProperty(column).GetProperty("_type").GetString());
                var message = features.GetProperty(column).GetProperty("feature");
                Assert.Equal("List", message.GetProperty("content").GetProperty("_type").GetString());
                Assert.Equal("string", message.GetProperty("content").GetProperty("feature").GetProperty("text").GetProperty("dtype").GetString());
            }
            Assert.Equal(("List", "Image"), (features.GetProperty("images").GetProperty("_type").GetString(), features.GetProperty("images").GetProperty("feature").GetProperty("_type").GetString()));
            var fields = reader.Schema.Fields.Select(f => f.Name).ToList();
            Assert.Equal(["prompt", "chosen", "rejected", "images", "chosen_type", "rejected_type", "rejected_method", "pair_id", "sample_id"], fields);
            Assert.IsType<Parquet.Schema.ListField>(reader.Schema.Fields[0]);
            var trainPairs = result.Manifest.Counts.PairsBySplit["train"];
            Assert.Equal((trainPairs + ParquetRowWriter.RowGroupSize - 1) / ParquetRowWriter.RowGroupSize, reader.RowGroupCount); // streamed in row groups, not one buffer
        }
        var rows = (await ParquetSerializer.DeserializeAsync<ParquetPairRow>(train)).Data;
        Assert.Equal(result.Manifest.Counts.PairsBySplit["train"], rows.Count);
        Assert.False(Directory.Exists(Path.Combine(folder, "images"))); // self-contained: no image files beside it
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var hashes = await db.Samples.ToDictionaryAsync(s => s.Id, s => s.ImageHash);
        var items = await db.DatasetVersionItems.Where(i => i.DatasetVersionId == _version.Id).ToDictionaryAsync(i => i.PairId);
        Assert.All(rows, row =>
        {
            var image = Assert.Single(row.Images);
            Assert.Equal(hashes[row.SampleId], Convert.ToHexStringLower(SHA256.HashData(image.Bytes!)));
            // TRL's collator counts image parts against images: one image, one part, in the first user message (the
            // demo's scenes are conversations, so later questions come after the earlier ones and their answers).
            Assert.Equal(1, row.Prompt.Sum(m => m.Content.Count(c => c.Type == "image")));
            Assert.Equal(("user", "image", (string?)null), (row.Prompt[0].Role, row.Prompt[0].Content[0].Type, row.Prompt[0].Content[0].Text));
            Assert.Equal(("user", items[row.PairId].Prompt), (row.Prompt[^1].Role, row.Prompt[^1].Content[^1].Text));
            Assert.Equal(row.Prompt.Count, row.Prompt.Select((m, i) => m.Role == (i % 2 == 0 ? "user" : "assistant")).Count(ok => ok));
            Assert.Equal(("assistant", items[row.PairId].ChosenText), (row.Chosen.Single().Role, row.Chosen.Single().Content.Single().Text));
            Assert.Equal(items[row.PairId].RejectedText, row.Rejected.Single().Content.Single().Text);
        });

        // The card: load_dataset(folder) finds the splits and features without being told.
        var card = await File.ReadAllTextAsync(Path.Combine(folder, "README.md"));
        Assert.StartsWith("---\nconfigs:\n- config_name: default\n  data_files:\n", card);
        Assert.Contains("  - split: train\n    path: data/train-*\n  - split: validation\n    path: data/validation-*\n", card);
        Assert.Contains("  - name: images\n    list: image\n", card);
        Assert.Contains($"  - name: train\n    num_examples: {result.Manifest.Counts.PairsBySplit["train"]}\n", card);
        Assert.Equal(2, card.Split("\n").Count(l => l == "---"));
    }

    [Fact]
    public async Task Options_SelectNegatives_SplitDeterministically_AndKeepOriginalTexts()
    {
        var onePerMethod = (await ExportAsync(new ExportOptions(_datasetId, 1, ExportFormat.Trl, NegativeSelection.OnePerMethod), "one")).Result.Manifest;
        // Both demo negatives come from the model-free injector, so one pair per sample remains.
        Assert.Equal(onePerMethod.Counts.Samples, onePerMethod.Counts.Pairs); // one pair per sample written
        Assert.Equal(["model-free-injection"], onePerMethod.Counts.ByRejectedMethod.Keys);

        var split = new ExportOptions(_datasetId, 1, ExportFormat.Trl, ValidationFraction: 0.25, Seed: 7);
        var first = (await ExportAsync(split, "split-a")).Result.Manifest;
        var again = (await ExportAsync(split, "split-b")).Result.Manifest;
        Assert.Equal(first.Counts.PairsBySplit, again.Counts.PairsBySplit);
        Assert.InRange(first.Counts.PairsBySplit["validation"], 30, 110); // about a quarter of 276
        Assert.Equal(File.ReadAllText(Path.Combine(_out.Path, "split-a", "validation.jsonl")), File.ReadAllText(Path.Combine(_out.Path, "split-b", "validation.jsonl")));
    }

    [Fact]
    public async Task Draft_UsesEditedTextsUnlessAskedForTheOriginals()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var pair = await db.Pairs.OrderBy(p => p.Id).Skip(5).FirstAsync();
        var original = await db.Responses.Where(r => r.Id == pair.RejectedResponseId).Select(r => r.Text).SingleAsync();
        await _core.Get<BpoStudio.Core.Review.ReviewService>().EditAsync(pair.Id, pair.RowVersion, TestPrincipals.Reviewer("lead", "lead", BpoStudio.Core.Accounts.Roles.Lead), BpoStudio.Core.Review.PairSide.Rejected, "An edited negative.");
        await db.Pairs.Where(p => p.Id == pair.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));

        var (edited, editedFolder) = await ExportAsync(new ExportOptions(_datasetId, null, ExportFormat.LlamaFactory), "edited");
        var (_, originalFolder) = await ExportAsync(new ExportOptions(_datasetId, null, ExportFormat.LlamaFactory, UseEditedTexts: false), "original");

        Assert.True(edited.Manifest.Draft);
        Assert.Equal(1, edited.Manifest.Counts.EditedTexts);
        Assert.Contains("An edited negative.", await File.ReadAllTextAsync(Path.Combine(editedFolder, "train.jsonl")));
        var originals = await File.ReadAllTextAsync(Path.Combine(originalFolder, "train.jsonl"));
        Assert.DoesNotContain("An edited negative.", originals);
        Assert.Contains(JsonSerializer.Serialize(original, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), originals);
    }

    [Fact]
    public async Task AnEditedChosenAnswerSharedByPairs_IsResolvedOnce_AndStaysShared()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var sampleId = await db.Pairs.OrderBy(p => p.Id).Skip(10).Select(p => p.SampleId).FirstAsync();
        var pairs = await db.Pairs.Where(p => p.SampleId == sampleId).OrderBy(p => p.Id).ToListAsync();
        await _core.Get<BpoStudio.Core.Review.ReviewService>().EditAsync(pairs[0].Id, pairs[0].RowVersion, TestPrincipals.Reviewer("lead", "lead", BpoStudio.Core.Accounts.Roles.Lead), BpoStudio.Core.Review.PairSide.Chosen, "An edited answer.");
        var editedId = await db.Pairs.Where(p => p.Id == pairs[0].Id).Select(p => p.ChosenResponseId).SingleAsync();
        await db.Pairs.Where(p => p.SampleId == sampleId)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.ChosenResponseId, editedId).SetProperty(p => p.Status, PairStatus.Accepted));

        var options = new ExportOptions(_datasetId, null, ExportFormat.Trl);
        await using var reader = await _core.Get<ExportSource>().OpenReaderAsync(_datasetId, null, options, CancellationToken.None);
        var sample = await reader.ReadAsync(new SampleRange(sampleId, sampleId + 1), CancellationToken.None).SingleAsync();

        Assert.True(sample.Pairs.Count >= 2);
        Assert.All(sample.Pairs, pair => Assert.Same(sample.Pairs[0].Chosen, pair.Chosen));
        Assert.Equal(("An edited answer.", true), (sample.Pairs[0].Chosen.Text.ToString(), sample.Pairs[0].Chosen.Edited));
    }

    [Fact]
    public async Task MaxImageSide_ReencodesLargerImages()
    {
        var (_, folder) = await ExportAsync(new ExportOptions(_datasetId, 1, ExportFormat.Trl, MaxImageSide: 64, ImageEncoding: ImageEncoding.Jpeg));
        var images = Directory.GetFiles(Path.Combine(folder, "images"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(images);
        Assert.All(images, path =>
        {
            var (width, height, type, _) = BpoStudio.Core.Imaging.ImageDecoding.ReadHeader(File.ReadAllBytes(path));
            Assert.Equal("image/jpeg", type);
            Assert.True(Math.Max(width, height) <= 64, $"{path} is {width}x{height}");
        });
    }

    [Theory]
    [InlineData(ExportFormat.Trl, false)]
    [InlineData(ExportFormat.Trl, true)]
    [InlineData(ExportFormat.LlamaFactory, false)]
    [InlineData(ExportFormat.OpenAi, false)]
    [InlineData(ExportFormat.Bpo, true)]
    [InlineData(ExportFormat.Parquet, false)]
    public async Task ManySmallChunksOnParallelWorkers_WriteTheSameFilesAsOneChunk(ExportFormat format, bool draft)
    {
        var options = new ExportOptions(_datasetId, draft ? null : 1, format, ValidationFraction: 0.3, Seed: 11);
        var (whole, _) = await ExportAsync(options, "whole");
        var factory = _core.Get<IDbContextFactory<BpoDbContext>>();
        var chunked = new ExportRunner(new ExportSource(factory) { PairsPerChunk = 7 }, _core.Get<BpoStudio.Core.Storage.ImageStore>(), factory, TimeProvider.System);
        var result = await chunked.RunAsync(await chunked.PlanAsync(options, "lead"), Path.Combine(_out.Path, "chunked"));

        Assert.True(_acceptedPairs / 7 > 10, "the dataset should span many chunks");
        static string[] DataAndImages(ExportResult r) =>
            r.Manifest.Files.Where(f => f.Path != "README.md").Select(f => $"{f.Path} {f.Bytes} {f.Sha256}").ToArray();
        Assert.Equal(DataAndImages(whole), DataAndImages(result));
        Assert.Contains(result.Manifest.Files, f => f.Path.Contains("validation"));
        Assert.Equal(JsonSerializer.Serialize(whole.Manifest.Counts), JsonSerializer.Serialize(result.Manifest.Counts));
        Assert.Equal(whole.Manifest.Skipped, result.Manifest.Skipped);
        Assert.NotEmpty(result.Manifest.Skipped);
    }

    [Fact]
    public async Task InterruptedExport_LeavesNothingThatLooksComplete()
    {
        var target = Path.Combine(_out.Path, "interrupted");
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _core.Get<ExportRunner>().RunAsync(
            new ExportPlan(new ExportOptions(_datasetId, null, ExportFormat.Trl), "Demo shapes", null, null, "lead"), target, _ => cts.CancelAsync(), cts.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_out.Path)); // no folder, no zip, no .partial leftovers
    }

    [Fact]
    public async Task FailingWorker_SurfacesItsOwnError_AndLeavesNothingBehind()
    {
        var runner = _core.Get<ExportRunner>();
        var plan = await runner.PlanAsync(new ExportOptions(_datasetId, 1, ExportFormat.Trl), "lead");
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE "DatasetVersionItems" RENAME TO "ItemsGone" """);

        var error = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => runner.RunAsync(plan, Path.Combine(_out.Path, "failing")));

        Assert.Contains("DatasetVersionItems", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_out.Path));
    }

    [Fact]
    public async Task ExistingTarget_IsNeverOverwritten()
    {
        var target = Path.Combine(_out.Path, "taken");
        Directory.CreateDirectory(target);
        var error = await Assert.ThrowsAsync<IOException>(() => _core.Get<ExportRunner>().RunAsync(
            new ExportPlan(new ExportOptions(_datasetId, null, ExportFormat.Trl), "Demo shapes", null, null, "lead"), target));
        Assert.Contains("already exists", error.Message);
    }

    private async Task<(ExportResult Result, string Folder)> ExportAsync(ExportOptions options, string? name = null)
    {
        var target = Path.Combine(_out.Path, name ?? options.Format.WireName());
        var runner = _core.Get<ExportRunner>();
        var result = await runner.RunAsync(await runner.PlanAsync(options, "lead"), target);
        Assert.False(Directory.Exists(target + ExportRunner.PartialSuffix));
        return (result, result.Folder);
    }

    private static async Task AssertManifestFilesMatchAsync(string folder, ExportManifest manifest)
    {
        using var onDisk = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, ExportManifest.FileName)));
        var files = onDisk.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length - 1, files.Count); // all but the manifest itself
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(folder, file.GetProperty("path").GetString()!));
            Assert.Equal(file.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Assert.Equal(file.GetProperty("bytes").GetInt64(), bytes.Length);
        }
        Assert.Equal(manifest.Counts.Pairs, onDisk.RootElement.GetProperty("counts").GetProperty("pairs").GetInt64());
    }

}
