using BpoStudio.Cli;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>
/// Before an export runs, it says how many pairs the chosen format will leave out and why, and which formats would
/// carry them; the count is what the export then leaves out.
/// </summary>
public class ExportForecastTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _out = new();
    private CoreServices _core = null!;
    private int _datasetId;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await SeedAsync(_core);
    }

    /// <summary>The demo dataset with six image pairs on three samples beside their text pairs, all accepted.</summary>
    public static async Task<int> SeedAsync(CoreServices core)
    {
        var datasetId = await core.SeedDemoAsync();
        var parameters = new GenerationParameters(datasetId, SampleFilter.Selection, [new GenerationMethod("image-pair:random-mask", 2)], 4, SampleIds: [1, 2, 3])
            .Validated(core.Get<LlmBackend>().AvailableMethods);
        var job = await core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        await db.Pairs.Where(p => p.SampleId <= 3).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        return datasetId;
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _out.Dispose();
    }

    [Fact]
    public async Task EachFormat_SaysWhatItWillLeaveOut_AndTheExportLeavesOutExactlyThat_InADraftAndAVersion()
    {
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            Assert.Equal(6, await db.Pairs.CountAsync(p => p.Status == PairStatus.Accepted && p.RejectedResponse!.Kind == ResponseKind.ImagePair));
        var forecasts = _core.Get<ExportForecast>();
        await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        foreach (var version in new int?[] { null, 1 })
        {
            var all = await forecasts.ForAllFormatsAsync(_datasetId, version, TestPrincipals.Lead);
            foreach (var format in new[] { ExportFormat.Trl, ExportFormat.LlamaFactory, ExportFormat.Parquet, ExportFormat.Kto })
            {
                var forecast = all.Single(f => f.Format == format);
                var reason = Assert.Single(forecast.Reasons);
                Assert.Equal((6L, 6L), (forecast.LeftOut, reason.Pairs));
                Assert.StartsWith("image pairs", reason.Reason);
                Assert.Equal([ExportFormat.Mdpo, ExportFormat.Svco], reason.CarriedBy);
            }
            Assert.Equal(0, all.Single(f => f.Format == ExportFormat.Svco).LeftOut);

            var runner = _core.Get<ExportRunner>();
            var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, version, ExportFormat.Trl), "lead"), _out.File($"trl-{version}"));
            Assert.Equal(6, result.Manifest.Skipped.Count(s => s.Reason.StartsWith("an image pair", StringComparison.Ordinal)));
            Assert.Equal(all.Single(f => f.Format == ExportFormat.Trl).Pairs - 6, result.Manifest.Counts.Pairs);
        }
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => forecasts.ForAllFormatsAsync(_datasetId, null, TestPrincipals.Annotator));
    }
}

/// <summary>The CLI says it too, before the export runs.</summary>
public class ExportForecastCliTests : IAsyncLifetime
{
    private readonly TestDataFolder _out = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        await ExportForecastTests.SeedAsync(_core);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _out.Dispose();
    }

    [Fact]
    public async Task TheCli_SaysItBeforeItExports()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(["export", "--dataset", "Demo shapes", "--draft", "--format", "kto", "--out", _out.File("kto"), "--no-zip", $"--BpoStudio:DataDirectory={_core.DataDirectory}"], output, error);
        Assert.True(code == 0, error.ToString());
        var lines = output.ToString().Split('\n');
        Assert.StartsWith("kto will leave out 6 of ", lines[0]);
        Assert.Contains("6 image pairs", lines[1]);
        Assert.Contains("mdpo, svco carry them.", lines[1]);
    }
}
