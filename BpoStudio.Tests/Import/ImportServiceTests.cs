using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Import;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Import;

public class ImportServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _allowed = new(), _elsewhere = new();
    private CoreServices _core = null!;

    private ImportService Imports => _core.Get<ImportService>();
    private string Allowed => Path.TrimEndingDirectorySeparator(Path.GetFullPath(_allowed.Path));

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(settings => settings["BpoStudio:ImportRoots:0"] = _allowed.Path, provider: Provider);
        Directory.CreateDirectory(_allowed.File("data"));
        await File.WriteAllLinesAsync(_allowed.File("data/bpo.jsonl"),
        [
            """{"id":"a","prompt":"Q1","completions":[{"score":1,"response":"A1","type":"gt"},{"score":0,"response":"B1","type":"llm-hal"}]}""",
            """not json""",
            """{"id":"b","prompt":"Q2","completions":[{"score":1,"response":"A2","type":"gt"},{"score":0,"response":"B2","type":"llm-hal"}]}""",
        ]);
        await File.WriteAllTextAsync(_elsewhere.File("secret.jsonl"), """{"question":"x"}""");
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _allowed.Dispose();
        _elsewhere.Dispose();
    }

    [Fact]
    public async Task OnlyAllowedFoldersAndLeads_AndPathsCannotEscape()
    {
        Assert.Equal(["data/bpo.jsonl"], await Imports.ListDataFilesAsync(Allowed, TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Imports.ResolveAsync(Allowed, "../secret.jsonl"));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.ResolveAsync(_elsewhere.Path, "x"));
        var outside = new ImportJobParameters(_elsewhere.File("secret.jsonl"), "x", null, null, null);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.StartAsync(outside, TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.PreviewAsync(_elsewhere.File("secret.jsonl"), null, null, null, TestPrincipals.Lead));
        var inside = new ImportJobParameters(await Imports.ResolveAsync(Allowed, "data/bpo.jsonl"), "x", _elsewhere.Path, null, null);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.StartAsync(inside, TestPrincipals.Lead)); // image folder outside
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.StartAsync(inside with { ImageRoot = null }, TestPrincipals.Annotator));
        // The allowed folder itself may be the image folder, not only a folder below it.
        Assert.Equal(JobStatus.Queued, (await Imports.StartAsync(inside with { ImageRoot = await Imports.ResolveAsync(Allowed, "") }, TestPrincipals.Lead)).Status);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.PreviewAsync(inside.FilePath, null, null, null, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.ListDataFilesAsync(Allowed, TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.SaveUploadAsync(Stream.Null, "x.jsonl", TestPrincipals.Annotator));
    }

    [Fact]
    public async Task AnAdminAllowsAndRemovesFolders_WithoutARestart()
    {
        var folders = _core.Get<ImportFolders>();
        var outside = new ImportJobParameters(_elsewhere.File("secret.jsonl"), "added", null, null, null);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.StartAsync(outside, TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => folders.AddAsync(_elsewhere.Path, TestPrincipals.Lead));

        var added = await folders.AddAsync(_elsewhere.Path + "/", TestPrincipals.Admin);
        Assert.Equal(Path.TrimEndingDirectorySeparator(_elsewhere.Path), added.Path);
        Assert.Equal([Allowed, added.Path, Imports.UploadFolder], await Imports.RootsAsync(TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.RootsAsync(TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => folders.ListAsync(TestPrincipals.Annotator));
        Assert.Equal(["secret.jsonl"], await Imports.ListDataFilesAsync(added.Path, TestPrincipals.Lead));
        Assert.Equal(JobStatus.Queued, (await Imports.StartAsync(outside, TestPrincipals.Lead)).Status);
        Assert.Contains("already", (await Assert.ThrowsAnyAsync<ArgumentException>(() => folders.AddAsync(_elsewhere.Path, TestPrincipals.Admin))).Message);

        // Each refusal says what is wrong with the path.
        Assert.Contains("not an absolute path", (await Assert.ThrowsAnyAsync<ArgumentException>(() => folders.AddAsync("data/coco", TestPrincipals.Admin))).Message);
        Assert.Contains("There is no folder", (await Assert.ThrowsAnyAsync<ArgumentException>(() => folders.AddAsync(_elsewhere.File("missing"), TestPrincipals.Admin))).Message);
        Assert.Contains("is a file", (await Assert.ThrowsAnyAsync<ArgumentException>(() => folders.AddAsync(_elsewhere.File("secret.jsonl"), TestPrincipals.Admin))).Message);
        Assert.Contains("root of a drive", (await Assert.ThrowsAnyAsync<ArgumentException>(() => folders.AddAsync("/", TestPrincipals.Admin))).Message);
        Assert.Contains("data folder", (await Assert.ThrowsAnyAsync<ArgumentException>(() => folders.AddAsync(_core.DataDirectory, TestPrincipals.Admin))).Message);
        Assert.Contains("data folder", (await Assert.ThrowsAnyAsync<ArgumentException>(() => folders.AddAsync(Path.GetDirectoryName(_core.DataDirectory)!, TestPrincipals.Admin))).Message);

        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => folders.RemoveAsync(added.Id!.Value, TestPrincipals.Lead));
        await folders.RemoveAsync(added.Id!.Value, TestPrincipals.Admin);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.StartAsync(outside, TestPrincipals.Lead));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.ListDataFilesAsync(added.Path, TestPrincipals.Lead));
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(["import-folder.add", "import-folder.remove"], await db.AuditEntries.Where(a => a.Action.StartsWith("import-folder.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
    }

    [Fact]
    public async Task LinksToOutsideFolders_AreRefusedForSubfoldersFilesAndImageFolders()
    {
        Directory.CreateSymbolicLink(_allowed.File("outlink"), _elsewhere.Path);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Imports.ResolveAsync(Allowed, "outlink"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Imports.ResolveAsync(Allowed, "outlink/secret.jsonl"));
        Assert.DoesNotContain(await Imports.ListDataFilesAsync(Allowed, TestPrincipals.Lead), f => f.Contains("secret"));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.PreviewAsync(_allowed.File("outlink/secret.jsonl"), null, null, null, TestPrincipals.Lead));
        var viaLink = new ImportJobParameters(await Imports.ResolveAsync(Allowed, "data/bpo.jsonl"), "x", _allowed.File("outlink"), null, null);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.StartAsync(viaLink, TestPrincipals.Lead));
    }

    [Fact]
    public async Task PreviewShowsTheFirstRecordsAsStored_AndUploadsLandInTheUploadFolder()
    {
        await using var upload = File.OpenRead(_allowed.File("data/bpo.jsonl"));
        var saved = await Imports.SaveUploadAsync(upload, "../../evil name.jsonl", TestPrincipals.Lead);
        Assert.StartsWith(Imports.UploadFolder, saved);
        Assert.Equal("evil_name.jsonl", Path.GetFileName(saved));

        var preview = await Imports.PreviewAsync(saved, null, null, null, TestPrincipals.Lead, count: 2);
        Assert.Equal(ImportFormat.Bpo, preview.Format);
        Assert.Equal("Q1", Assert.Single(preview.Samples).Prompt);
        Assert.Equal("line 2", Assert.Single(preview.Problems).Where);
    }

    [Fact]
    public async Task ImportJob_WritesASummary_AndRollbackRemovesTheFile_ConfirmingWhenReviewed()
    {
        var job = await Imports.StartAsync(new ImportJobParameters(await Imports.ResolveAsync(Allowed, "data/bpo.jsonl"), "jobbed", null, null, null), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        var done = (await _core.Get<JobService>().GetAsync(job.Id))!;
        Assert.Equal((JobStatus.Completed, 3L, 1L), (done.Status, done.ItemsDone, done.ItemsFailed));
        Assert.Equal("line 2", Assert.Single(await _core.Get<JobService>().FailuresAsync(job.Id)).ItemKey);
        using (var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Imports.SummaryPath(job.Id))))
            Assert.Equal(2, summary.RootElement.GetProperty("imported").GetInt64());

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        await db.Pairs.Take(1).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        var datasetId = await db.Datasets.Where(d => d.Name == "jobbed").Select(d => d.Id).SingleAsync();
        await _core.Get<BpoStudio.Core.Approval.ApprovalService>().ApproveAsync(datasetId, TestPrincipals.Lead, null);
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Imports.RollbackAsync("jobbed", "bpo.jsonl", TestPrincipals.Lead));
        Assert.Contains("1 pairs from bpo.jsonl were already reviewed", refused.Message);
        Assert.Contains("approved version 1, which keeps its own copy", refused.Message);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Imports.RollbackAsync("jobbed", "bpo.jsonl", TestPrincipals.Annotator, force: true));

        Assert.Equal(2, await Imports.RollbackAsync("jobbed", "bpo.jsonl", TestPrincipals.Lead, force: true));
        Assert.Equal((0, 0, 0), (await db.Samples.CountAsync(), await db.Responses.CountAsync(), await db.Pairs.CountAsync()));
        Assert.Equal(1, await db.DatasetVersionItems.CountAsync()); // the approved version keeps its copy
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "import.rollback"));
        // The rollback is the import's state, shown by the history without reading the log.
        var rolledBack = (await _core.Get<JobService>().GetAsync(job.Id))!;
        Assert.Equal(("bpo.jsonl", BpoStudio.Core.Accounts.ActorChecks.DisplayName(TestPrincipals.Lead)), (rolledBack.SourceFile, rolledBack.RolledBackBy));
        await db.AuditEntries.ExecuteDeleteAsync();
        Assert.True(Assert.Single(await Imports.HistoryAsync(datasetId, TestPrincipals.Lead)).RolledBack);

        // Importing the file again is a new import, not rolled back.
        var again = await Imports.StartAsync(new ImportJobParameters(await Imports.ResolveAsync(Allowed, "data/bpo.jsonl"), "jobbed", null, null, null), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(again.Id, CancellationToken.None);
        Assert.Equal([false, true], (await Imports.HistoryAsync(datasetId, TestPrincipals.Lead)).Select(e => e.RolledBack));
    }
}
