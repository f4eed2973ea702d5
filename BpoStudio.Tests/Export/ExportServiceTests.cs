using System.IO.Compression;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

public class ExportServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreServices _core = null!;
    private int _datasetId;

    private ExportService Exports => _core.Get<ExportService>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        await db.Pairs.ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task OnlyTheCommandLine_ChoosesWhereAnExportIsWritten()
    {
        var elsewhere = Path.Combine(_core.DataDirectory, "..", $"elsewhere-{Guid.NewGuid():N}");
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), TestPrincipals.Lead, folder: elsewhere));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), TestPrincipals.Admin, folder: elsewhere));
        Assert.False(Directory.Exists(elsewhere));
        var record = await Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), BpoStudio.Core.Accounts.ActorChecks.CommandLine, folder: elsewhere);
        Assert.Equal(Path.GetFullPath(elsewhere), record.FolderPath);
    }

    [Fact]
    public async Task ExportJob_CompletesWithZipManifestAndAudit()
    {
        await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        var record = await Exports.StartAsync(new ExportOptions(_datasetId, 1, ExportFormat.Trl), TestPrincipals.Lead);
        Assert.Equal(ExportStatus.Queued, record.Status);

        await _core.Get<JobRunner>().RunJobAsync(record.JobId!.Value, CancellationToken.None);

        var done = (await Exports.GetAsync(record.Id))!;
        Assert.Equal(ExportStatus.Completed, done.Status);
        Assert.Equal(278, done.PairsWritten);
        Assert.Contains("\"contentHash\"", done.ManifestJson);
        var zip = await Exports.ZipForDownloadAsync(record.Id, TestPrincipals.Lead);
        Assert.NotNull(zip);
        using (var archive = ZipFile.OpenRead(zip))
            Assert.Superset(new HashSet<string> { "manifest.json", "train.jsonl", "README.md" }, archive.Entries.Select(e => e.FullName).ToHashSet());
        var job = await _core.Get<JobService>().GetAsync(record.JobId.Value);
        Assert.Equal((JobStatus.Completed, 278L, 278L), (job!.Status, job.ItemsTotal, job.ItemsDone));
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "export.complete"));
    }

    [Fact]
    public async Task InterruptedExportJob_IsMarkedInterrupted_AndAResumeStartsOverCleanly()
    {
        var record = await StartAndInterruptAsync(ExportFormat.LlamaFactory);

        var stopped = (await Exports.GetAsync(record.Id))!;
        Assert.Equal(ExportStatus.Interrupted, stopped.Status);
        Assert.False(Directory.Exists(stopped.FolderPath));
        Assert.Null(await Exports.ZipForDownloadAsync(record.Id, TestPrincipals.Lead));

        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Exports.RetryAsync(record.Id, TestPrincipals.Annotator));
        await Exports.RetryAsync(record.Id, TestPrincipals.Lead);
        var queued = (await Exports.GetAsync(record.Id))!;
        Assert.Equal((ExportStatus.Queued, null), (queued.Status, queued.Error));
        await _core.Get<JobRunner>().RunJobAsync(record.JobId!.Value, CancellationToken.None);
        var resumed = (await Exports.GetAsync(record.Id))!;
        Assert.Equal(ExportStatus.Completed, resumed.Status);
        Assert.Equal(278, File.ReadLines(Path.Combine(resumed.FolderPath!, "train.jsonl")).Count());
        Assert.False(Directory.Exists(resumed.FolderPath + ExportRunner.PartialSuffix));
        var again = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Exports.RetryAsync(record.Id, TestPrincipals.Lead));
        Assert.Contains("completed", again.Message);
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "export.retry" && a.Subject == $"export {record.Id}"));
    }

    [Fact]
    public async Task Delete_RemovesTheFolderAndZip_KeepsTheRecordAndManifest_AndRefusesAQueuedExport()
    {
        var record = await Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), TestPrincipals.Lead);
        var queued = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Exports.DeleteAsync(record.Id, TestPrincipals.Lead));
        Assert.Contains("queued", queued.Message);
        await _core.Get<JobRunner>().RunJobAsync(record.JobId!.Value, CancellationToken.None);
        var done = (await Exports.GetAsync(record.Id))!;
        Assert.True(Directory.Exists(done.FolderPath) && File.Exists(done.ZipPath));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Exports.DeleteAsync(record.Id, TestPrincipals.Annotator));

        await Exports.DeleteAsync(record.Id, TestPrincipals.Lead);

        var deleted = (await Exports.GetAsync(record.Id))!;
        Assert.Equal((ExportStatus.Deleted, null, done.ManifestJson, done.PairsWritten), (deleted.Status, deleted.ZipPath, deleted.ManifestJson, deleted.PairsWritten));
        Assert.False(Directory.Exists(done.FolderPath));
        Assert.False(File.Exists(done.ZipPath));
        Assert.Null(await Exports.ZipForDownloadAsync(record.Id, TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Exports.DeleteAsync(record.Id, TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Exports.RetryAsync(record.Id, TestPrincipals.Lead));
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "export.delete" && a.Subject == $"export {record.Id}"));
    }

    [Fact]
    public async Task DeletingAnInterruptedExport_CancelsItsJob_SoItDoesNotComeBack()
    {
        var record = await StartAndInterruptAsync(ExportFormat.Trl);
        Assert.Equal(ExportStatus.Interrupted, (await Exports.GetAsync(record.Id))!.Status);

        await Exports.DeleteAsync(record.Id, TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(record.JobId!.Value, CancellationToken.None);

        var deleted = (await Exports.GetAsync(record.Id))!;
        Assert.Equal(ExportStatus.Deleted, deleted.Status);
        Assert.False(Directory.Exists(deleted.FolderPath));
        Assert.Equal(JobStatus.Cancelled, (await _core.Get<JobService>().GetAsync(record.JobId.Value))!.Status);
    }

    [Fact]
    public async Task AJobWhoseExportWasDeletedMeanwhile_WritesNothing()
    {
        var record = await Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), TestPrincipals.Lead);
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Exports.Where(e => e.Id == record.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.DeletedAt, DateTime.UtcNow));

        await _core.Get<JobRunner>().RunJobAsync(record.JobId!.Value, CancellationToken.None);

        var deleted = (await Exports.GetAsync(record.Id))!;
        Assert.Equal(ExportStatus.Deleted, deleted.Status);
        Assert.False(Directory.Exists(deleted.FolderPath) || Directory.Exists(deleted.FolderPath + ExportRunner.PartialSuffix));
        Assert.Equal(0, (await _core.Get<JobService>().GetAsync(record.JobId.Value))!.ItemsDone); // it did not export for nothing
    }

    [Fact]
    public async Task History_NamesEachExportsDatasetAndVersion_NewestFirst()
    {
        await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        var approved = await Exports.StartAsync(new ExportOptions(_datasetId, 1, ExportFormat.Parquet), TestPrincipals.Lead);
        var draft = await Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), TestPrincipals.Lead);

        var history = await Exports.HistoryAsync();

        Assert.Equal([(draft.Id, "Demo shapes", (int?)null), (approved.Id, "Demo shapes", 1)], history.Select(h => (h.Export.Id, h.DatasetName, h.VersionNumber)));
        Assert.Empty(await Exports.HistoryAsync(datasetId: _datasetId + 1));
    }

    [Fact]
    public async Task OnlyLeadsExport_AndDeprecatedVersionsAreRefused()
    {
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), TestPrincipals.Annotator));
        var version = await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        await _core.Get<ApprovalService>().DeprecateAsync(version.Id, TestPrincipals.Lead, "bad batch");
        var deprecated = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Exports.StartAsync(new ExportOptions(_datasetId, 1, ExportFormat.Trl), TestPrincipals.Lead));
        Assert.Contains("deprecated", deprecated.Message);
        await Assert.ThrowsAnyAsync<KeyNotFoundException>(() => Exports.StartAsync(new ExportOptions(_datasetId, 7, ExportFormat.Trl), TestPrincipals.Lead));

        var record = await Exports.StartAsync(new ExportOptions(_datasetId, null, ExportFormat.Trl), TestPrincipals.Admin);
        await _core.Get<JobRunner>().RunJobAsync(record.JobId!.Value, CancellationToken.None);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Exports.ZipForDownloadAsync(record.Id, TestPrincipals.Annotator));
    }

    /// <summary>A draft export whose job is stopped, as by the host shutting down, once it has reported progress.</summary>
    private async Task<ExportRecord> StartAndInterruptAsync(ExportFormat format)
    {
        var record = await Exports.StartAsync(new ExportOptions(_datasetId, null, format), TestPrincipals.Lead);
        using var host = new CancellationTokenSource();
        using (_core.Get<JobProgressNotifier>().Subscribe(s => { if (s.Id == record.JobId && s.ItemsDone > 0) host.Cancel(); }))
            await _core.Get<JobRunner>().RunJobAsync(record.JobId!.Value, host.Token);
        return record;
    }
}
