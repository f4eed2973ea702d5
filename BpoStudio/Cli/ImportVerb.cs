using System.Text.Json;
using System.Text.Json.Serialization;
using BpoStudio.Core.Import;

namespace BpoStudio.Cli;

/// <summary><c>import</c>: stream a source file into a dataset; bad records are listed with where and why.</summary>
internal sealed class ImportVerb : ICliVerb
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    public string Name => "import";
    public string Usage => "import <file> --dataset <name> [--images <root>] [--format llava|bpo|prompt-only] [--json]";
    public string Summary => "Import LLaVA/ShareGPT4V JSON, BPO JSON/JSONL or prompt-only JSONL; re-running skips what is there.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json" };

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var file = args.Positional(0, "the file to import");
        ImportFormat? format = args.Option("format") switch
        {
            null => null,
            "llava" => ImportFormat.Llava,
            "bpo" => ImportFormat.Bpo,
            "prompt-only" => ImportFormat.PromptOnly,
            var other => throw new CliUsageException($"--format must be llava, bpo or prompt-only, not '{other}'"),
        };
        ImportSummary summary;
        try
        {
            summary = await services.GetRequiredService<DatasetImporter>().ImportAsync(
                new ImportRequest(Path.GetFullPath(file), args.Required("dataset"), args.Option("images") is { } root ? Path.GetFullPath(root) : null, format, "cli"), ct: ct);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
        {
            throw new CliFailureException(ex.Message);
        }

        if (args.Flag("json"))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(summary, Json));
            return 0;
        }
        await output.WriteLineAsync($"{summary.File} ({summary.Format}) -> '{summary.Dataset}': {summary.Records:N0} records, {summary.Imported:N0} samples imported, " +
            $"{summary.Flagged:N0} flagged, {summary.Duplicates:N0} duplicates, {summary.Rejected.Count:N0} rejected, {summary.ImagesStored:N0} new images.");
        foreach (var problem in summary.Rejected.Take(20)) await output.WriteLineAsync($"  rejected {problem.Where}: {problem.Reason}");
        foreach (var problem in summary.FlaggedImages.Take(20)) await output.WriteLineAsync($"  flagged {problem.Where}: {problem.Reason}");
        if (summary.Rejected.Count + summary.FlaggedImages.Count > 40) await output.WriteLineAsync("  (use --json for the full list)");
        return 0;
    }
}
