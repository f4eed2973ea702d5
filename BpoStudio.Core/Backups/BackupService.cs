using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Backups;

public sealed record BackupCounts(int Datasets, long Samples, long Responses, long Pairs, long Images);

public sealed record BackupManifest(string App, DateTime CreatedAt, string Database, string DatabaseSha256, long DatabaseBytes, BackupCounts Counts)
{
    public const string FileName = "backup.json";
    public const string DatabaseFile = "bpostudio.db";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}

public sealed record RestoreResult(BackupManifest Manifest, string? PreviousDatabaseKeptAt, int ImagesCopied);

/// <summary>
/// A consistent copy of a running instance: the SQLite database by <c>VACUUM INTO</c> (one read snapshot, which in WAL
/// mode never blocks the app's writers, so an import goes on while it runs), the images that snapshot's catalogue names
/// (immutable, content-addressed files), and a manifest with the database's SHA-256 and its counts. A restore checks
/// every hash and the database's integrity before it replaces anything, and keeps the database it replaces.
/// PostgreSQL is backed up with its own tools (pg_dump) beside this command's image copy.
/// </summary>
public sealed class BackupService(IDbContextFactory<BpoDbContext> dbFactory, DataPaths paths, ImageStore store, TimeProvider clock)
{
    public async Task<BackupManifest> BackupAsync(string folder, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireAdmin("back up the instance");
        folder = Path.GetFullPath(folder);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new ConflictError($"The backup folder {folder} is not empty: choose a new folder for each backup.");
        if (folder.StartsWith(paths.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || folder == paths.Root)
            throw new ConflictError($"The backup folder {folder} is inside the data folder {paths.Root}: a backup belongs on another disk or folder.");
        Directory.CreateDirectory(folder);
        var database = Path.Combine(folder, BackupManifest.DatabaseFile);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (!db.Database.IsSqlite())
                throw new ConflictError("This instance runs on PostgreSQL: back its database up with pg_dump (README, Backups) and copy the images folder; this command copies SQLite databases.");
            db.Database.SetCommandTimeout(TimeSpan.FromHours(1));
            await db.Database.ExecuteSqlAsync($"VACUUM INTO {database}", ct);
        }
        var counts = await CountAsync(database, ct);
        var images = await CatalogueAsync(database, ct);
        var imagesFolder = Path.Combine(folder, "images");
        foreach (var hash in images)
        {
            var source = store.PathFor(hash);
            if (!File.Exists(source)) throw new ConflictError($"Image {hash} is in the catalogue but missing from {paths.Images}: the store is damaged; nothing was left half-done except this backup folder.");
            var target = Path.Combine(imagesFolder, hash[..2], hash);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
        var manifest = new BackupManifest($"BpoStudio {typeof(BackupService).Assembly.GetName().Version}", clock.GetUtcNow().UtcDateTime, BackupManifest.DatabaseFile,
            await Sha256Async(database, ct), new FileInfo(database).Length, counts with { Images = images.Count });
        await File.WriteAllTextAsync(Path.Combine(folder, BackupManifest.FileName), JsonSerializer.Serialize(manifest, BackupManifest.Json), ct);
        return manifest;
    }

    /// <summary>Checks a backup (manifest, database hash and integrity, every image's hash) and, unless <paramref name="checkOnly"/>, puts it in place.</summary>
    public async Task<RestoreResult> RestoreAsync(string folder, ClaimsPrincipal actor, bool checkOnly = false, CancellationToken ct = default)
    {
        actor.RequireAdmin("restore a backup");
        folder = Path.GetFullPath(folder);
        var manifestPath = Path.Combine(folder, BackupManifest.FileName);
        if (!File.Exists(manifestPath)) throw new ConflictError($"{folder} holds no {BackupManifest.FileName}: it is not a BpoStudio backup.");
        var manifest = JsonSerializer.Deserialize<BackupManifest>(await File.ReadAllTextAsync(manifestPath, ct), BackupManifest.Json)
            ?? throw new ConflictError($"{manifestPath} is empty.");
        var database = Path.Combine(folder, BackupManifest.DatabaseFile);
        if (!File.Exists(database)) throw new ConflictError($"The backup's database {database} is missing.");
        if (await Sha256Async(database, ct) != manifest.DatabaseSha256)
            throw new ConflictError($"The backup's database {database} does not match its SHA-256 in {BackupManifest.FileName}: it was changed or damaged since the backup.");
        await IntegrityAsync(database, ct);
        var counts = await CountAsync(database, ct);
        if (counts != manifest.Counts with { Images = counts.Images })
            throw new ConflictError($"The backup's database holds {counts}, its manifest says {manifest.Counts}.");
        var images = await CatalogueAsync(database, ct);
        foreach (var hash in images)
        {
            var file = Path.Combine(folder, "images", hash[..2], hash);
            if (!File.Exists(file)) throw new ConflictError($"The backup lacks image {hash} (images/{hash[..2]}/{hash}), which its database names.");
            if (await Sha256Async(file, ct) != hash) throw new ConflictError($"The backup's image images/{hash[..2]}/{hash} does not match its name: it was changed or damaged.");
        }
        if (checkOnly) return new RestoreResult(manifest, null, 0);

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            if (!db.Database.IsSqlite()) throw new ConflictError("This instance is configured for PostgreSQL: restore its database with pg_restore (README, Backups).");
        SqliteConnection.ClearAllPools();
        string? kept = null;
        if (File.Exists(paths.Database))
        {
            // Never lost: the database being replaced stays beside it, checkpointed into one file.
            kept = $"{paths.Database}.before-restore-{clock.GetUtcNow().UtcDateTime:yyyyMMddHHmmss}";
            await using (var current = new SqliteConnection($"Data Source={paths.Database};Pooling=False"))
            {
                await current.OpenAsync(ct);
                await using var vacuum = current.CreateCommand();
                vacuum.CommandText = "VACUUM INTO $kept";
                vacuum.Parameters.AddWithValue("$kept", kept);
                await vacuum.ExecuteNonQueryAsync(ct);
            }
            foreach (var leftover in new[] { paths.Database, paths.Database + "-wal", paths.Database + "-shm" }) File.Delete(leftover);
        }
        Directory.CreateDirectory(paths.Root);
        File.Copy(database, paths.Database);
        var copied = 0;
        foreach (var hash in images.Where(h => !store.Exists(h)))
        {
            var target = store.PathFor(hash);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(folder, "images", hash[..2], hash), target);
            copied++;
        }
        return new RestoreResult(manifest, kept, copied);
    }

    private static async Task<BackupCounts> CountAsync(string database, CancellationToken ct)
    {
        await using var connection = await OpenReadOnlyAsync(database, ct);
        async Task<long> Count(string table)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }
        return new BackupCounts((int)await Count("Datasets"), await Count("Samples"), await Count("Responses"), await Count("Pairs"), await Count("StoredImages"));
    }

    private static async Task<List<string>> CatalogueAsync(string database, CancellationToken ct)
    {
        await using var connection = await OpenReadOnlyAsync(database, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Hash\" FROM \"StoredImages\" ORDER BY \"Hash\"";
        var hashes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var hash = reader.GetString(0);
            if (!ImageStore.IsValidHash(hash)) throw new ConflictError($"The image catalogue holds '{hash}', which is not a SHA-256: the database is damaged.");
            hashes.Add(hash);
        }
        return hashes;
    }

    private static async Task IntegrityAsync(string database, CancellationToken ct)
    {
        await using var connection = await OpenReadOnlyAsync(database, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        var result = (string?)await command.ExecuteScalarAsync(ct);
        if (result != "ok") throw new ConflictError($"The backup's database fails SQLite's integrity check: {result}");
    }

    private static async Task<SqliteConnection> OpenReadOnlyAsync(string database, CancellationToken ct)
    {
        var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }
}
