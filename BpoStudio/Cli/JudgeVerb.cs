using BpoStudio.Core.Accounts;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Judging;
using BpoStudio.Core.Triage;

namespace BpoStudio.Cli;

/// <summary>The judge from the command line: the same service calls as the Triage page.</summary>
internal sealed class JudgeVerb : WorkflowVerb
{
    public override string Name => "judge";
    public override string Usage => "judge run --dataset <name> [--mode pairwise|claims] [--samples k] [--seed s] [--template <name>] [filters] [--dry-run] [--json] | " +
        "judge sample --dataset <name> [--per-band n] [--seed s] [--json] | judge calibration --dataset <name> --spot-check <id> [--json] | " +
        "judge accept --dataset <name> --spot-check <id> --at-or-above <0.2|0.4|0.6|0.8> [--json] | judge reject --dataset <name> --spot-check <id> --below <t> [--json]; filters (default: pending pairs): " + CliPairFilter.Usage;
    public override string Summary => "Score pending pairs with a vision judge (both orders), draw a blind calibration sample by score band, read the calibration, decide by a calibrated threshold.";
    public override IReadOnlySet<string> Flags => new HashSet<string> { "json", "dry-run", CliPairFilter.NoBlockingFlag };

    protected override async Task<(object, IEnumerable<string>)> RunAsync(IServiceProvider services, CliArguments args, string sub, CancellationToken ct)
    {
        var dataset = await services.GetRequiredService<DatasetQueries>().IdByNameAsync(args.Required("dataset"), ct);
        var calibration = services.GetRequiredService<JudgeCalibration>();
        switch (sub)
        {
            case "run":
                var parameters = new JudgeParameters(dataset, CliPairFilter.Parse(args, services), Samples: Int(args, "samples", 1), Seed: Int(args, "seed", 1), Template: args.Option("template"), Mode: Mode(args.Option("mode")));
                var jobs = services.GetRequiredService<JudgeJobs>();
                if (args.Flag("dry-run"))
                {
                    var dry = await jobs.DryRunAsync(parameters, ActorChecks.CommandLine, ct);
                    return (dry, [$"{dry.Pairs:N0} pairs, {dry.Calls:N0} calls to {dry.Model}, about {dry.EstimatedTokens:N0} tokens."]);
                }
                var job = await jobs.StartAsync(parameters, ActorChecks.CommandLine, ct);
                await CliJobs.RunHereAsync(services, job.Id, "judge", ct);
                var done = (await services.GetRequiredService<JobService>().GetAsync(job.Id, ct))!;
                var counts = await services.GetRequiredService<PairChecker>().CountsAsync(dataset, ct);
                var findings = JudgeFindings.Defaults.ToDictionary(d => d.Id, d => counts.GetValueOrDefault(d.Id));
                var summary = new { pairs = done.ItemsTotal, judged = done.ItemsDone, unparsable = done.ItemsFailed, findings };
                return (summary, [$"Judged {done.ItemsDone:N0} of {done.ItemsTotal:N0} pairs; {done.ItemsFailed:N0} unparsable; " +
                    string.Join(", ", findings.Select(f => $"{f.Key} {f.Value:N0}"))]);
            case "sample":
                var scorer = await calibration.LatestJudgeAsync(dataset, ct) ?? throw new CliFailureException("No pair of this dataset has a judge's score yet; run judge run first.");
                var check = await calibration.DrawAsync(dataset, scorer, Int(args, "per-band", 40), Int(args, "seed", 1), ActorChecks.CommandLine, ct);
                return (new { spotCheck = check.Id, check.SampleSize, scorer }, [$"Spot check {check.Id}: {check.SampleSize} pairs by {scorer}'s score bands, to review blind in the queue."]);
            case "calibration":
                var report = await calibration.ReportAsync(Long(args, "spot-check"), ct);
                return (report, Lines(report));
            case "accept":
            case "reject":
                var accept = sub == "accept";
                var threshold = double.TryParse(args.Required(accept ? "at-or-above" : "below"), System.Globalization.CultureInfo.InvariantCulture, out var t) ? t
                    : throw new CliUsageException("the threshold is a number: 0.2, 0.4, 0.6 or 0.8");
                var result = accept ? await calibration.AcceptAtOrAboveAsync(Long(args, "spot-check"), threshold, ActorChecks.CommandLine, ct)
                    : await calibration.RejectBelowAsync(Long(args, "spot-check"), threshold, ActorChecks.CommandLine, ct);
                return (result, [$"{(accept ? "Accepted" : "Rejected")} {result.Applied:N0} of {result.Matched:N0} pending pairs (bulk action {result.BulkId}; undo with review bulk --undo {result.BulkId})."]);
            default:
                throw Unknown(sub);
        }
    }

    private static IEnumerable<string> Lines(CalibrationReport report)
    {
        var a = report.Agreement;
        yield return $"Spot check {report.SpotCheckId}, {report.Scorer}: {report.Reviewed} of {report.Sampled} sampled pairs reviewed.";
        yield return $"Agreement {a.Rate:P1} on {a.Pairs} pairs ({a.Ties} ties left out), Cohen's kappa {a.Kappa:0.00}, ECE {report.Ece:0.000}.";
        foreach (var m in report.ByMethod) yield return $"  {m.Method}: agreement {m.Agreement.Rate:P1} on {m.Agreement.Pairs}, kappa {m.Agreement.Kappa:0.00}";
        foreach (var t in report.Thresholds.Skip(1))
            yield return $"  at or above {t.Threshold:0.0}: {t.Pairs:N0} pending pairs, estimated acceptance {(t.Acceptance is { } x ? x.ToString("P1") : "unmeasured")}, 95% interval {t.Low:P1} to {t.High:P1}";
        yield return $"  ({CalibrationReport.IntervalMethod})";
    }

    private static int Int(CliArguments args, string name, int fallback) =>
        args.Option(name) is not { } text ? fallback : int.TryParse(text, out var n) ? n : throw new CliUsageException($"--{name} must be a whole number, not '{text}'");

    private static JudgeMode Mode(string? mode) => mode?.ToLowerInvariant() switch
    {
        null or "pairwise" => JudgeMode.Pairwise,
        "claims" => JudgeMode.Claims,
        _ => throw new CliUsageException($"--mode is pairwise or claims, not '{mode}'"),
    };

    private static long Long(CliArguments args, string name) => long.TryParse(args.Required(name), out var n) ? n : throw new CliUsageException($"--{name} must be a number");
}
