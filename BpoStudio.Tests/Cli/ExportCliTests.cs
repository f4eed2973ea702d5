using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Export;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Cli;

public class ExportCliTests
{
    [Fact]
    public async Task Export_WritesTheLatestApprovedVersion_AndExplainsBadRequests()
    {
        await using var core = await CoreServices.StartAsync();
        var datasetId = await core.SeedDemoAsync();
        using var output = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={core.DataDirectory}";

        var error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--format", "trl", "--out", output.File("a"), config], TextWriter.Null, error));
        Assert.Contains("has no approved version", error.ToString());
        error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--version", "draft", "--format", "trl", "--out", output.File("a"), config], TextWriter.Null, error));
        Assert.Contains("no accepted pairs", error.ToString());
        error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--format", "csv", "--out", output.File("a"), config], TextWriter.Null, error));
        Assert.Contains("Unknown export format 'csv'", error.ToString());

        await using (var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.Take(40).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        await core.Get<ApprovalService>().ApproveAsync(datasetId, TestPrincipals.Lead, null);

        var stdout = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--format", "llama-factory", "--out", output.File("lf"),
            "--validation", "0.2", "--negatives", "one-per-method", "--json", config], stdout));
        using var json = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(20, json.RootElement.GetProperty("pairs").GetInt64()); // 40 pairs, two per sample, one kept per method
        Assert.True(File.Exists(output.File("lf.zip")));
        var lines = TrainerLoaderChecks.LlamaFactory(output.File("lf"), "train.jsonl") + (File.Exists(output.File("lf/validation.jsonl")) ? TrainerLoaderChecks.LlamaFactory(output.File("lf"), "validation.jsonl") : 0);
        Assert.Equal(20, lines);

        // The CLI's export is the same job as the page's: in the export history, done, with its folder and counts.
        var history = await core.Get<BpoStudio.Core.Export.ExportService>().HistoryAsync(datasetId);
        var entry = Assert.Single(history);
        Assert.Equal(output.File("lf"), entry.Export.FolderPath);
        Assert.Equal((BpoStudio.Core.Export.ExportStatus.Completed, 20L, "cli"), (entry.Export.Status, entry.Export.PairsWritten, entry.Export.CreatedBy));

        error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--format", "trl", "--out", output.File("lf"), config], TextWriter.Null, error));
        Assert.Contains("already exists", error.ToString());
    }
}
