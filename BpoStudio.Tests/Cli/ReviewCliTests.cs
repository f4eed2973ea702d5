using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Infrastructure;
using BpoStudio.Tests.Triage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Cli;

public class ReviewCliTests : IAsyncLifetime
{
    private CoreServices _core = null!;
    private TriageDataset _data = null!;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        _data = await TriageDataset.ImportAsync(_core);
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task ReviewChecks_Json_CountsEveryCheck()
    {
        var (code, output, _) = await RunAsync("review", "checks", "--dataset", TriageDataset.Name, "--recompute", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(10, json.RootElement.GetProperty("pairs").GetInt32());
        var findings = json.RootElement.GetProperty("findings");
        Assert.Equal(1, findings.GetProperty("placeholder").GetInt32());
        Assert.Equal(1, findings.GetProperty("duplicate").GetInt32());
        Assert.Equal(0, findings.GetProperty("repetition").GetInt32());
    }

    [Fact]
    public async Task ReviewList_ByFinding_NamesEachPairsSourceRecordAndFindings()
    {
        var (code, output, _) = await RunAsync("review", "list", "--dataset", TriageDataset.Name, "--finding", "missing-image", "--json");
        Assert.Equal(0, code);
        var pair = Assert.Single(JsonDocument.Parse(output).RootElement.GetProperty("pairs").EnumerateArray());
        Assert.Equal("missing", pair.GetProperty("sampleSourceId").GetString());
        Assert.Equal(_data.PairByRecord["missing"], pair.GetProperty("id").GetInt64());
        Assert.Contains(pair.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == "missing-image" && f.GetProperty("severity").GetString() == "block");
    }

    [Fact]
    public async Task ReviewBulk_AppliesDryRunsAndUndoes_AndSaysWhenNothingMatches()
    {
        var (dry, dryOut, _) = await RunAsync("review", "bulk", "--dataset", TriageDataset.Name, "--decision", "accept", "--no-blocking", "--dry-run", "--json");
        Assert.Equal(0, dry);
        Assert.Equal(7, JsonDocument.Parse(dryOut).RootElement.GetProperty("applied").GetInt32());
        Assert.Equal(0, await CountAsync(PairStatus.Accepted));

        var (code, output, _) = await RunAsync("review", "bulk", "--dataset", TriageDataset.Name, "--decision", "reject", "--reason", "placeholder token", "--finding", "placeholder", "--json");
        Assert.Equal(0, code);
        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal((1, 1), (result.GetProperty("matched").GetInt32(), result.GetProperty("applied").GetInt32()));
        Assert.Equal(1, await CountAsync(PairStatus.Rejected));

        var (undo, _, _) = await RunAsync("review", "bulk", "--undo", result.GetProperty("bulkId").GetInt64().ToString());
        Assert.Equal(0, undo);
        Assert.Equal(0, await CountAsync(PairStatus.Rejected));

        var (none, _, error) = await RunAsync("review", "bulk", "--dataset", TriageDataset.Name, "--decision", "accept", "--finding", "repetition");
        Assert.Equal(1, none);
        Assert.Contains("No pair of 'triage' matches", error);
        var (usage, _, _) = await RunAsync("review", "bulk", "--dataset", TriageDataset.Name, "--decision", "approve");
        Assert.Equal(2, usage);
        var (typo, _, typoError) = await RunAsync("review", "bulk", "--dataset", TriageDataset.Name, "--decision", "accept", "--finding", "placeholders");
        Assert.Equal(2, typo);
        Assert.Contains("--finding 'placeholders' is not a check; the checks are identical, placeholder", typoError);
    }

    [Fact]
    public async Task ImportAcceptSource_AcceptsTheSourcesPairsAsOneBulkAction()
    {
        var source = Path.Combine(_core.DataDirectory, "source-" + TriageDataset.Name);
        File.Copy(Path.Combine(source, "triage.jsonl"), Path.Combine(source, "curated.jsonl"));
        var (code, _, error) = await RunAsync("import", Path.Combine(source, "curated.jsonl"), "--dataset", "curated", "--images", source, "--accept-source");
        Assert.True(code == 0, error);
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var curated = await db.Datasets.Where(d => d.Name == "curated").Select(d => d.Id).SingleAsync();
        Assert.All(await db.Pairs.Where(p => p.DatasetId == curated).ToListAsync(), p => Assert.Equal(PairStatus.Accepted, p.Status));
        var bulk = await db.BulkActions.SingleAsync();
        Assert.Equal((curated, 9), (bulk.DatasetId, bulk.Applied)); // the file's nine records
        Assert.Contains("accepted as the source decided", bulk.Notes);
    }

    private async Task<int> CountAsync(PairStatus status)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Pairs.CountAsync(p => p.DatasetId == _data.Id && p.Status == status);
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync([.. args, $"--BpoStudio:DataDirectory={_core.DataDirectory}"], output, error);
        return (code, output.ToString(), error.ToString());
    }
}
