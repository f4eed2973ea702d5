using System.Text.Json;
using System.Text.Json.Serialization;
using BpoStudio.Components;
using BpoStudio.Core;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Import;

namespace BpoStudio.Cli;

/// <summary><c>import</c>: stream a source file into a dataset; bad records are listed with where and why.</summary>
internal sealed class ImportVerb : ICliVerb
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    public string Name => "import";
    public string Usage => "import <file|archive.zip|archive.tar.gz> --dataset <name> [--images <root>] [--format <format>] [--map prompt=<path>,chosen=<path>,rejected=<path>,image=<path>,id=<path>] [--accept-source] [--json]" +
        " | import --rollback <source file name> --dataset <name> [--force]";
    public string Summary => "Import LLaVA, BPO, POVID, VLFeedback, RLAIF-V, mDPO, prompt-only or mapped generic JSON(L); re-running skips what is there.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json", "force", "accept-source" };

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        if (args.Option("rollback") is { } sourceFile) return await RollbackAsync(services, sourceFile, args, output, ct);
        var file = args.Positional(0, "the file to import");
        var format = Format(args.Option("format"));
        var mapping = Mapping(args.Option("map"));
        if (mapping is not null) format ??= ImportFormat.Generic;
        ImportSummary summary;
        string? unpackedInto = null;
        try
        {
            var images = args.Option("images") is { } root ? Path.GetFullPath(root) : null;
            if (ImportArchive.IsArchive(file))
            {
                // Unpacked into the upload folder, as the Import page does; the archive's folder is the image folder.
                var into = unpackedInto = Path.Combine(services.GetRequiredService<DataPaths>().Uploads, "cli-" + Guid.NewGuid().ToString("N"));
                var unpacked = await ImportArchive.UnpackAsync(Path.GetFullPath(file), into, ct);
                (file, images) = (unpacked.DataFile, images ?? unpacked.ImageRoot);
            }
            // The same service and job handler as the Import page: the import is in the dataset's history, and bulk
            // actions and other writers see it running.
            summary = await RunAsJobAsync(services, new ImportJobParameters(Path.GetFullPath(file), args.Required("dataset"), images, format, mapping, args.Flag("accept-source")), ct);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or ArgumentException)
        {
            throw new CliFailureException(ex.Message);
        }
        finally
        {
            // What the CLI unpacked goes when the import ends: the images are in the store, and a rerun unpacks again.
            if (unpackedInto is not null && Directory.Exists(unpackedInto)) Directory.Delete(unpackedInto, recursive: true);
        }
        if (args.Flag("json"))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(summary, Json));
            return 0;
        }
        await output.WriteLineAsync($"{summary.File} ({summary.Format}) -> '{summary.Dataset}': {summary.Records:N0} records, {summary.Imported:N0} samples imported, " +
            $"{summary.Flagged:N0} flagged, {Counted.Of(summary.SamplesPresent, "sample")} already present ({Counted.Of(summary.NewResponses, "new response")} added, {Counted.Of(summary.RepeatedResponses, "repeated response")} skipped), {summary.Rejected.Count:N0} rejected, {summary.ImagesStored:N0} new images.");
        foreach (var problem in summary.Rejected.Take(20)) await output.WriteLineAsync($"  rejected {problem.Where}: {problem.Reason}");
        foreach (var problem in summary.FlaggedImages.Take(20)) await output.WriteLineAsync($"  flagged {problem.Where}: {problem.Reason}");
        foreach (var problem in summary.ContentDuplicates.Take(20)) await output.WriteLineAsync($"  merged {problem.Where}: {problem.Reason}");
        if (summary.Rejected.Count + summary.FlaggedImages.Count > 40) await output.WriteLineAsync("  (use --json for the full list)");
        return 0;
    }

    private static async Task<ImportSummary> RunAsJobAsync(IServiceProvider services, ImportJobParameters parameters, CancellationToken ct)
    {
        var job = await services.GetRequiredService<ImportService>().StartAsync(parameters, ActorChecks.CommandLine, ct);
        await CliJobs.RunHereAsync(services, job.Id, "import", ct);
        // No web app may be running to index what a large import left behind: this command does it before it ends.
        await services.GetRequiredService<Core.Datasets.SearchIndexer>().CatchUpAsync(ct);
        return JsonSerializer.Deserialize<ImportSummary>(await File.ReadAllTextAsync(services.GetRequiredService<DataPaths>().ImportSummary(job.Id), ct), ImportService.Json)!;
    }

    private static async Task<int> RollbackAsync(IServiceProvider services, string sourceFile, CliArguments args, TextWriter output, CancellationToken ct)
    {
        try
        {
            var removed = await services.GetRequiredService<ImportService>().RollbackAsync(args.Required("dataset"), sourceFile, ActorChecks.CommandLine, args.Flag("force"), ct);
            await output.WriteLineAsync($"Rolled back {sourceFile}: {removed:N0} samples removed.");
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
        {
            throw new CliFailureException(ex.Message + (ex is InvalidOperationException ? " (add --force)" : ""));
        }
    }

    private static ImportFormat? Format(string? option)
    {
        try
        {
            return option is null ? null : ImportFormatNames.Parse(option);
        }
        catch (InvalidInputError ex)
        {
            throw new CliUsageException($"--format: {ex.Message.TrimEnd('.')}");
        }
    }

    private static FieldMapping? Mapping(string? option)
    {
        if (option is null) return null;
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in option.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || part[(eq + 1)..].Length == 0) throw new CliUsageException($"--map parts look like prompt=question, not '{part}'");
            var key = part[..eq];
            if (key is not ("prompt" or "chosen" or "rejected" or "image" or "id")) throw new CliUsageException($"--map knows prompt, chosen, rejected, image and id, not '{key}'");
            parts[key] = part[(eq + 1)..];
        }
        return parts.TryGetValue("prompt", out var prompt)
            ? new FieldMapping(prompt, parts.GetValueOrDefault("chosen"), parts.GetValueOrDefault("rejected"), parts.GetValueOrDefault("image"), parts.GetValueOrDefault("id"))
            : throw new CliUsageException("--map needs at least prompt=<field>");
    }
}
