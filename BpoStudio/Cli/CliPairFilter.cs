using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage;

namespace BpoStudio.Cli;

/// <summary>The pair filter's options, read the same way by every verb that takes one (review list and bulk, judge run).</summary>
internal static class CliPairFilter
{
    public const string Usage = "[--finding <id>|--no-blocking] [--method <m>] [--kind <k>] [--status <s>] [--search <text>] [--source <file>] " +
        "[--scorer <name> [--score-at-least <x>] [--score-below <x>]]";

    public const string NoBlockingFlag = "no-blocking";

    public static PairFilter Parse(CliArguments args, IServiceProvider services)
    {
        var finding = args.Option("finding");
        var checker = services.GetRequiredService<PairChecker>();
        if (finding is not null && !checker.IsKnown(finding))
            throw new CliUsageException($"--finding '{finding}' is not a check; the checks are {string.Join(", ", checker.Checks.Select(c => c.Id))}");
        if (finding is not null && args.Flag(NoBlockingFlag)) throw new CliUsageException("give --finding or --no-blocking, not both");
        ResponseKind? kind = args.Option("kind") is { } k ? ResponseKindNames.TryParse(k, out var parsed) ? parsed : throw new CliUsageException($"--kind '{k}' is not gt, gt-rephrased, llm-hal, mllm-hal or manual") : null;
        PairStatus? status = args.Option("status") is { } s ? Enum.TryParse<PairStatus>(s, ignoreCase: true, out var st) ? st : throw new CliUsageException($"--status '{s}' is not pending, accepted, rejected or flagged") : null;
        return new PairFilter(kind, args.Option("method"), args.Option("search"), status, args.Option("source"), Finding: finding, NoBlocking: args.Flag(NoBlockingFlag),
            Scorer: args.Option("scorer"), ScoreAtLeast: Score(args, "score-at-least"), ScoreBelow: Score(args, "score-below"));
    }

    private static double? Score(CliArguments args, string name) => args.Option(name) is not { } text ? null
        : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1 ? value
        : throw new CliUsageException($"--{name} is a score from 0 to 1, not '{text}'");
}
