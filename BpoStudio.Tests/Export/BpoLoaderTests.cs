using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Export;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>The BPO export, fed to BPO's own loader rules, trains on exactly the pairs BpoStudio accepted.</summary>
public class BpoLoaderTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        Directory.CreateDirectory(_files.File("images"));
        await File.WriteAllBytesAsync(_files.File("images/a.png"), DemoScene.Generate(4).RenderPng());
        object Completion(double score, string response, string type) => new { score, response, type };
        var longAnswer = string.Join(' ', Enumerable.Repeat("word", 400));
        await File.WriteAllLinesAsync(_files.File("rated.jsonl"),
        [
            // Mean ratings as scores, VLFeedback-style: the negatives differ from each other too.
            JsonSerializer.Serialize(new { id = "rated", prompt = "What is shown?", image = "a.png", completions = new[] { Completion(4.5, "A red circle.", "gt"), Completion(3.0, "A red square.", "llm-hal"), Completion(2.0, "A blue dog.", "llm-hal") } }),
            JsonSerializer.Serialize(new { id = "binary", prompt = "Colour?", image = "a.png", completions = new[] { Completion(1, "Red.", "gt"), Completion(0, "Blue.", "llm-hal"), Completion(0, "Green.", "mllm-hal") } }),
            JsonSerializer.Serialize(new { id = "textonly", prompt = "Say hi.", completions = new[] { Completion(1, "Hi.", "gt"), Completion(0, "Bye.", "llm-hal") } }),
            JsonSerializer.Serialize(new { id = "long", prompt = "Describe.", image = "a.png", completions = new[] { Completion(1, longAnswer, "gt"), Completion(0, "Short.", "llm-hal") } }),
        ]);
        await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File("rated.jsonl"), "rated", _files.File("images")));
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    private async Task<ExportResult> ExportAsync(int datasetId)
    {
        var runner = _core.Get<ExportRunner>();
        return await runner.RunAsync(await runner.PlanAsync(new ExportOptions(datasetId, null, ExportFormat.Bpo), "lead"), _files.File($"out-{Guid.NewGuid():N}"));
    }

    [Fact]
    public async Task BposLoaderBuildsExactlyTheAcceptedPairs_LeavesNoTextOnlyRecord_AndCountsLongAnswers()
    {
        var datasetId = (await _core.Get<DatasetQueries>().ListAsync()).Single(d => d.Name == "rated").Id;
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            await db.Pairs.ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
            // One pair of the binary record is rejected in review: the loader must not rebuild it from the scores.
            var green = await db.Responses.Where(r => r.Text == "Green.").Select(r => r.Id).SingleAsync();
            await db.Pairs.Where(p => p.RejectedResponseId == green).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Rejected));
        }

        var result = await ExportAsync(datasetId);
        var trained = TrainerLoaderChecks.BpoTrainingPairs(result.Folder, "train.jsonl");

        Assert.Equal(
            [("Colour?", "Red.", "Blue."), ("What is shown?", "A red circle.", "A blue dog."), ("What is shown?", "A red circle.", "A red square.")],
            trained.Order());
        Assert.Contains(result.Manifest.Skipped, s => s.Reason.Contains("text-only"));
        Assert.Equal(1, result.Manifest.Counts.AnswersOverBpoWordLimit);
        Assert.Equal(4, TrainerLoaderChecks.BpoTrainingPairs(result.Folder, "train.jsonl", filterSize: 1000).Count); // the long one trains with a larger filter_size
    }
}
