using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Backups;

namespace BpoStudio.Cli;

internal sealed class BackupVerb : ICliVerb
{
    public string Name => "backup";
    public string Usage => "backup <new folder> [--json]";
    public string Summary => "Copy the running instance's database (a consistent snapshot) and its images into a new folder, with a manifest of hashes.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json" };

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var manifest = await services.GetRequiredService<BackupService>().BackupAsync(args.Positional(0, "the backup folder"), ActorChecks.CommandLine, ct);
        await output.WriteLineAsync(args.Flag("json") ? JsonSerializer.Serialize(manifest, BackupManifest.Json)
            : $"Backed up {manifest.Counts.Datasets} datasets, {manifest.Counts.Samples:N0} samples, {manifest.Counts.Pairs:N0} pairs and {manifest.Counts.Images:N0} images " +
              $"({manifest.DatabaseBytes / 1048576.0:0.0} MB database, SHA-256 {manifest.DatabaseSha256[..12]}…).");
        return 0;
    }
}

internal sealed class RestoreVerb : ICliVerb
{
    public string Name => "restore";
    public string Usage => "restore <backup folder> [--check]";
    public string Summary => "Check a backup's hashes and integrity and put it in place of this data folder's database (stop the app first); --check only checks.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "check" };
    public bool UsesDatabase => false; // the database is replaced, not upgraded first; the app upgrades it when it starts

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var check = args.Flag("check");
        var result = await services.GetRequiredService<BackupService>().RestoreAsync(args.Positional(0, "the backup folder"), ActorChecks.CommandLine, check, ct);
        var counts = result.Manifest.Counts;
        await output.WriteLineAsync(check
            ? $"The backup of {result.Manifest.CreatedAt:yyyy-MM-dd HH:mm} UTC is whole: database hash and integrity, {counts.Images:N0} images checked."
            : $"Restored the backup of {result.Manifest.CreatedAt:yyyy-MM-dd HH:mm} UTC: {counts.Datasets} datasets, {counts.Samples:N0} samples, {counts.Pairs:N0} pairs; " +
              $"{result.ImagesCopied:N0} images copied in." + (result.PreviousDatabaseKeptAt is { } kept ? $" The database it replaced is kept at {kept}." : ""));
        return 0;
    }
}
