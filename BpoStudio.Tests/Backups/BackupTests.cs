using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Backups;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Backups;

/// <summary>Backups of a running instance: consistent while an import writes, checked before they restore.</summary>
public class BackupTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync();

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    private async Task<string> LlavaFileAsync(int records)
    {
        Directory.CreateDirectory(_files.File("images"));
        for (var i = 0; i < 5; i++) await File.WriteAllBytesAsync(_files.File($"images/{i}.png"), DemoScene.Generate(i).RenderPng());
        var path = _files.File("big.jsonl");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, records).Select(i => JsonSerializer.Serialize(new
        {
            id = $"r{i}", image = $"{i % 5}.png",
            conversations = new[] { new { from = "human", value = $"<image>\nWhat is in picture {i}?" }, new { from = "gpt", value = $"Shapes, number {i}." } },
        })));
        return path;
    }

    [Fact]
    public async Task ABackupTakenDuringAnImport_RestoresWhole_WithTheCountsOfItsMoment()
    {
        var file = await LlavaFileAsync(16_000);
        var midway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var backedUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var import = Task.Run(() => _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(file, "big", _files.File("images")), async summary =>
        {
            if (summary.Imported < 1_000) return;
            midway.TrySetResult();
            // Still writing batch after batch while the backup runs, only slower, so it cannot finish first.
            if (!backedUp.Task.IsCompleted) await Task.Delay(20);
        }));
        await midway.Task.WaitAsync(TimeSpan.FromMinutes(2));

        var manifest = await _core.Get<BackupService>().BackupAsync(_files.File("backup"), ActorChecks.CommandLine);
        backedUp.SetResult();
        var finished = await import;

        Assert.InRange(manifest.Counts.Samples, 1_000, finished.Imported - 1); // taken while the import still wrote
        Assert.Equal(0, manifest.Counts.Samples % DatasetImporter.BatchSize); // a snapshot holds whole batches, never half of one
        Assert.Equal(5, manifest.Counts.Images);

        await using var other = await CoreServices.StartAsync();
        var result = await other.Get<BackupService>().RestoreAsync(_files.File("backup"), ActorChecks.CommandLine);
        Assert.NotNull(result.PreviousDatabaseKeptAt);
        Assert.True(File.Exists(result.PreviousDatabaseKeptAt), "the database a restore replaces is kept");
        Assert.Equal(5, result.ImagesCopied);
        await using (var check = new SqliteConnection($"Data Source={Path.Combine(other.DataDirectory, "bpostudio.db")};Pooling=False"))
        {
            await check.OpenAsync();
            await using var integrity = check.CreateCommand();
            integrity.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", await integrity.ExecuteScalarAsync());
        }
        await using var db = await other.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(manifest.Counts.Samples, await db.Samples.LongCountAsync());
        Assert.Equal(manifest.Counts.Responses, await db.Responses.LongCountAsync());
        var hashes = await db.Samples.Select(s => s.ImageHash!).Distinct().ToListAsync();
        Assert.All(hashes, h => Assert.True(File.Exists(Path.Combine(other.DataDirectory, "images", h[..2], h)), $"image {h} restored"));
    }

    [Fact]
    public async Task ADamagedBackup_IsRefusedByName_BeforeAnythingIsReplaced()
    {
        await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(await LlavaFileAsync(20), "small", _files.File("images")));
        await _core.Get<BackupService>().BackupAsync(_files.File("backup"), ActorChecks.CommandLine);
        var image = Directory.EnumerateFiles(_files.File("backup/images"), "*", SearchOption.AllDirectories).First();
        await File.AppendAllTextAsync(image, "tampered");

        await using var other = await CoreServices.StartAsync();
        var before = await File.ReadAllBytesAsync(Path.Combine(other.DataDirectory, "bpostudio.db"));
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => other.Get<BackupService>().RestoreAsync(_files.File("backup"), ActorChecks.CommandLine));
        Assert.Contains(Path.GetFileName(image), refused.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(other.DataDirectory, "bpostudio.db")));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => other.Get<BackupService>().RestoreAsync(_files.File("backup"), TestPrincipals.Lead));
    }

    [Fact]
    public async Task TheCli_BacksUpChecksAndRefusesAFolderInUse()
    {
        var config = $"--BpoStudio:DataDirectory={_core.DataDirectory}";
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["backup", _files.File("cli-backup"), config], output));
        Assert.Contains("Backed up", output.ToString());
        var check = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["restore", _files.File("cli-backup"), "--check", config], check));
        Assert.Contains("is whole", check.ToString());
        var error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["backup", _files.File("cli-backup"), config], TextWriter.Null, error));
        Assert.Contains("is not empty", error.ToString());
    }
}
