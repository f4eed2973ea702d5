using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Triage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Cli;

/// <summary>A CLI import is the same job as the Import page's: in the history, and seen by the writers that must wait for it.</summary>
public class ImportCliJobTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync();

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task ABulkActionDuringACliImport_IsRefused_AndTheImportIsInTheHistory()
    {
        var path = _files.File("pairs.jsonl");
        // Large enough that the import is still running when the bulk action comes, on a busy CI machine too (30,000 once finished first).
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, 120_000).Select(i => JsonSerializer.Serialize(new
        {
            id = $"b{i}", prompt = $"Question {i}?",
            completions = new object[] { new { score = 1, response = $"Answer {i}.", type = "gt" }, new { score = 0, response = $"Wrong {i}.", type = "llm-hal" } },
        })));
        var config = $"--BpoStudio:DataDirectory={_core.DataDirectory}";
        var cli = Task.Run(() => CliApp.RunAsync(["import", path, "--dataset", "cli-bulk", config], TextWriter.Null));

        var dbFactory = _core.Get<IDbContextFactory<BpoDbContext>>();
        int? datasetId = null;
        for (var wait = 0; datasetId is null && wait < 600; wait++)
        {
            await Task.Delay(50);
            await using var db = await dbFactory.CreateDbContextAsync();
            if (await db.Jobs.AnyAsync(j => j.Kind == JobKind.Import && j.Status == JobStatus.Running))
                datasetId = await db.Datasets.Where(d => d.Name == "cli-bulk").Select(d => (int?)d.Id).FirstOrDefaultAsync();
        }
        Assert.NotNull(datasetId);
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() =>
            _core.Get<BulkActionService>().ApplyAsync(datasetId!.Value, new BulkRequest(new PairFilter(), BulkOperation.Accept), TestPrincipals.Lead));
        Assert.Contains("An import", refused.Message);

        Assert.Equal(0, await cli);
        var history = await _core.Get<BpoStudio.Core.Import.ImportService>().HistoryAsync(datasetId!.Value, TestPrincipals.Lead);
        var entry = Assert.Single(history);
        Assert.Equal((JobStatus.Completed, 120_000L), (entry.Status, entry.Summary!.Imported));
    }
}
