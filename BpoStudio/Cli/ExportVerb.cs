using System.Globalization;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;

namespace BpoStudio.Cli;

/// <summary><c>export</c>: write an approved version (or a draft) in a trainer's format, atomically, with a manifest.</summary>
internal sealed class ExportVerb : ICliVerb
{
    public string Name => "export";
    // The format lists come from the catalogue, so a new format is in the help the day it is added (rlhf-v was missing).
    private static readonly string FormatNames = string.Join("|", ExportFormats.All.Select(f => f.WireName()));

    public string Usage => $"export --dataset <name> --format {FormatNames} --out <folder> [--version <n>|draft | --draft] [--negatives all|one-per-method|best-rated] " +
        "[--context full|none] [--original-texts] [--without-bulk] [--weights] [--scores <scorer>] [--judge-weights] [--listwise] [--aspect <name>|mean] [--validation <0-0.5>] [--seed <n>] [--max-side <px>] [--image-format jpeg|png|webp] [--max-length <tokens>] [--no-zip] [--json]";
    public string Summary => $"Export in a trainer's format ({FormatNames.Replace("|", ", ", StringComparison.Ordinal)}); the latest approved version unless --version is given.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json", "original-texts", "no-zip", "without-bulk", "draft", "weights", "judge-weights", "listwise" };

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var name = args.Required("dataset");
        var format = Parse(() => ExportFormats.Parse(args.Required("format")));
        var target = args.Required("out");
        var dataset = (await services.GetRequiredService<DatasetQueries>().ListAsync(ct)).FirstOrDefault(d => d.Name == name)
            ?? throw new CliFailureException($"There is no dataset '{name}'.");
        if (args.Flag("draft") && args.Option("version") is { } both && !string.Equals(both, "draft", StringComparison.OrdinalIgnoreCase))
            throw new CliUsageException($"--draft and --version {both} contradict each other");
        var options = new ExportOptions(dataset.Id, await VersionAsync(services, dataset, args.Flag("draft") ? "draft" : args.Option("version"), ct), format,
            Negatives(args.Option("negatives")), !args.Flag("original-texts"), Number(args, "validation", 0.0), (int)Number(args, "seed", 42.0),
            args.Option("max-side") is null ? null : (int)Number(args, "max-side", 0.0), Encoding(args.Option("image-format")),
            WithoutBulkDecided: args.Flag("without-bulk"), Context: Context(args.Option("context")), Weights: args.Flag("weights"), RatingAspect: args.Option("aspect"), Listwise: args.Flag("listwise"), MaxLength: args.Option("max-length") is null ? null : (int)Number(args, "max-length", 0.0));
        options = options with { Zip = !args.Flag("no-zip"), Scorer = args.Option("scores"), JudgeWeights = args.Flag("judge-weights") };
        // Said before it runs, as the Export page says it: what this format cannot hold, and which formats would.
        var forecast = await services.GetRequiredService<ExportForecast>().ForAsync(format, dataset.Id, options.VersionNumber, ActorChecks.CommandLine, ct);
        if (!args.Flag("json") && forecast.LeftOut > 0)
        {
            await output.WriteLineAsync(forecast.Headline);
            foreach (var reason in forecast.Reasons) await output.WriteLineAsync($"  {reason.Pairs:N0} {reason.Reason}. {reason.Carriers}");
        }
        ExportResult result;
        try
        {
            result = await RunAsJobAsync(services, options, target, ct);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException or IOException)
        {
            throw new CliFailureException(ex.Message);
        }

        var counts = result.Manifest.Counts;
        if (args.Flag("json"))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { result.Folder, result.ZipPath, counts.Pairs, SkippedCount = counts.Skipped, counts.PairsBySplit, counts.DecidedBy, result.Manifest.Skipped, Forecast = forecast }, ExportManifest.Json));
            return 0;
        }
        await output.WriteLineAsync($"{result.Manifest.FormatTitle}: {counts.Pairs:N0} pairs from {counts.Samples:N0} samples written to {result.Folder}" +
            $"{(result.ZipPath is null ? "" : $" (and {Path.GetFileName(result.ZipPath)})")}; {counts.Skipped:N0} left out{(result.Manifest.Draft ? "; DRAFT" : "")}.");
        foreach (var warning in result.Manifest.Warnings) await output.WriteLineAsync($"  warning: {warning}");
        foreach (var skipped in result.Manifest.Skipped.Take(20)) await output.WriteLineAsync($"  left out pair {skipped.PairId}: {skipped.Reason}");
        return 0;
    }

    // The same service and job as the Export page: the export is in the history and audited there, whoever started it.
    private static async Task<ExportResult> RunAsJobAsync(IServiceProvider services, ExportOptions options, string target, CancellationToken ct)
    {
        var exports = services.GetRequiredService<ExportService>();
        var record = await exports.StartAsync(options, ActorChecks.CommandLine, ct, target);
        await CliJobs.RunHereAsync(services, record.JobId!.Value, "export", ct);
        var done = (await exports.GetAsync(record.Id, ct))!;
        return new ExportResult(JsonSerializer.Deserialize<ExportManifest>(done.ManifestJson!, ExportManifest.Json)!, done.FolderPath!, done.ZipPath);
    }

    private static async Task<int?> VersionAsync(IServiceProvider services, DatasetSummary dataset, string? option, CancellationToken ct)
    {
        if (string.Equals(option, "draft", StringComparison.OrdinalIgnoreCase)) return null;
        if (option is not null) return int.TryParse(option, out var number) ? number : throw new CliUsageException($"--version must be a number or 'draft', not '{option}'");
        var latest = (await services.GetRequiredService<ApprovalService>().ListAsync(dataset.Id, ct)).FirstOrDefault(v => !v.Deprecated);
        return latest?.Number ?? throw new CliFailureException($"'{dataset.Name}' has no approved version; approve one or pass --version draft.");
    }

    private static ExportContext Context(string? option) => option switch
    {
        null or "full" => ExportContext.Full,
        "none" => ExportContext.None,
        _ => throw new CliUsageException($"--context must be full or none, not '{option}'"),
    };

    private static NegativeSelection Negatives(string? option) => option switch
    {
        null or "all" => NegativeSelection.All,
        "one-per-method" => NegativeSelection.OnePerMethod,
        "best-rated" => NegativeSelection.BestRated,
        _ => throw new CliUsageException($"--negatives must be all, one-per-method or best-rated, not '{option}'"),
    };

    private static ImageEncoding Encoding(string? option) => option switch
    {
        null or "original" => ImageEncoding.Original,
        "jpeg" or "jpg" => ImageEncoding.Jpeg,
        "png" => ImageEncoding.Png,
        "webp" => ImageEncoding.Webp,
        _ => throw new CliUsageException($"--image-format must be jpeg, png or webp, not '{option}'"),
    };

    private static double Number(CliArguments args, string name, double fallback) =>
        args.Option(name) is not { } text ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
        : throw new CliUsageException($"--{name} must be a number, not '{text}'");

    private static T Parse<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (FormatException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }
}
