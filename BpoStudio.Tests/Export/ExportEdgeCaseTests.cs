using BpoStudio.Cli;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>The smaller defects a trainer or a user meets: the best negative equal to the answer, images nobody references, an empty validation split, the CLI.</summary>
public class ExportEdgeCaseTests : IAsyncLifetime
{
    private readonly TestDataFolder _out = new();
    private CoreServices _core = null!;
    private int _datasetId;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        _datasetId = await _core.SeedDemoAsync();
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        await db.Pairs.ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _out.Dispose();
    }

    private async Task<ExportResult> ExportAsync(ExportOptions options)
    {
        var runner = _core.Get<ExportRunner>();
        return await runner.RunAsync(await runner.PlanAsync(options, "lead"), _out.File(Guid.NewGuid().ToString("N")));
    }

    [Fact]
    public async Task BestRated_FallsBackToTheNextNegative_WhenTheBestEqualsTheChosenAnswer()
    {
        long sampleId;
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var pairs = await db.Pairs.Include(p => p.ChosenResponse).OrderBy(p => p.Id).Take(2).ToListAsync();
            Assert.Equal(pairs[0].SampleId, pairs[1].SampleId);
            sampleId = pairs[0].SampleId;
            await db.Responses.Where(r => r.Id == pairs[0].RejectedResponseId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, pairs[0].ChosenResponse!.Text).SetProperty(r => r.Score, 0.9));
            await db.Responses.Where(r => r.Id == pairs[1].RejectedResponseId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Score, 0.5));
        }

        var result = await ExportAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl, NegativeSelection.BestRated));

        Assert.DoesNotContain(result.Manifest.Skipped, s => s.SampleId == sampleId);
        Assert.Equal(result.Manifest.Counts.Samples, result.Manifest.Counts.Pairs); // every sample kept its one pair
    }

    [Fact]
    public async Task AnImageWhosePairsAreAllLeftOut_IsNotShipped()
    {
        string hash;
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            // Every negative of every sample showing this scene breaks the loader rules.
            hash = await db.Samples.Where(s => s.ImageHash != null).OrderBy(s => s.Id).Select(s => s.ImageHash!).FirstAsync();
            var rejected = db.Pairs.Where(p => db.Samples.Any(s => s.Id == p.SampleId && s.ImageHash == hash)).Select(p => p.RejectedResponseId);
            await db.Responses.Where(r => rejected.Contains(r.Id)).ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, "An <image> of nothing."));
        }

        var result = await ExportAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl));

        Assert.Contains(result.Manifest.Skipped, s => s.Reason.Contains("literal <image>"));
        var shipped = Directory.GetFiles(Path.Combine(result.Folder, "images"), "*", SearchOption.AllDirectories)
            .Select(f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))).ToHashSet();
        Assert.DoesNotContain(hash, shipped);
        Assert.Equal(result.Manifest.Counts.Images, shipped.Count);
    }

    [Fact]
    public async Task AValidationShareTooSmallForOneSample_Warns_InTheManifestAndReadme()
    {
        var result = await ExportAsync(new ExportOptions(_datasetId, null, ExportFormat.LlamaFactory, ValidationFraction: 0.0001));

        var warning = Assert.Single(result.Manifest.Warnings);
        Assert.Contains("put none in validation", warning);
        Assert.False(File.Exists(Path.Combine(result.Folder, "validation.jsonl")));
        Assert.Contains("WARNING: a validation share", await File.ReadAllTextAsync(Path.Combine(result.Folder, "README.md")));
    }

    [Fact]
    public async Task TheReadmeNamesTheValidationFile_AndLlamaFactorySetUpNeedsNoCopying()
    {
        var result = await ExportAsync(new ExportOptions(_datasetId, null, ExportFormat.LlamaFactory, ValidationFraction: 0.3));
        var readme = await File.ReadAllTextAsync(Path.Combine(result.Folder, "README.md"));
        Assert.Contains("dataset_dir: /absolute/path/to/this/folder", readme);
        Assert.Contains("eval_dataset: bpostudio_demo_shapes_validation", readme);
        Assert.Contains("Do not copy the files into", readme);
    }

    // One file, one convention: questions written without a placeholder get "<image>\n" before them, as LLaVA-style
    // sources have it (they had "<image>What..." while kept source questions had "<image>\nWhat...").
    [Fact]
    public async Task LlamaFactory_PutsANewlineAfterThePlaceholdersItAdds_AsTheReadmeSays()
    {
        var result = await ExportAsync(new ExportOptions(_datasetId, null, ExportFormat.LlamaFactory));
        var firsts = File.ReadLines(Path.Combine(result.Folder, "train.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("conversations")[0].GetProperty("value").GetString()!).ToList();
        Assert.NotEmpty(firsts);
        Assert.All(firsts, v => Assert.Matches(@"^(<image>)+\n[^<]", v));
        Assert.Contains("\"<image>\\nWhat colour is...\"", await File.ReadAllTextAsync(Path.Combine(result.Folder, "README.md")));
    }

    [Fact]
    public async Task Cli_TakesDraft_AndRefusesAFormatNameItDoesNotKnow()
    {
        var config = $"--BpoStudio:DataDirectory={_core.DataDirectory}";
        var error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--format", "llamafactory", "--out", _out.File("x"), config], TextWriter.Null, error));
        Assert.Contains("use one of trl, llama-factory, openai, bpo, parquet, kto, mdpo, svco, vlfeedback, rlhf-v", error.ToString());

        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--format", "trl", "--draft", "--out", _out.File("draft"), config], output));
        Assert.Contains("DRAFT", output.ToString());
    }
}
