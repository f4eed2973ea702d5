using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Triage;

namespace BpoStudio.Cli;

/// <summary>What pages do for datasets, versions and jobs, for scripts on the server: the same service calls.</summary>
internal abstract class WorkflowVerb : ICliVerb
{
    public abstract string Name { get; }
    public abstract string Usage { get; }
    public abstract string Summary { get; }
    public virtual IReadOnlySet<string> Flags => new HashSet<string> { "json" };

    protected static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var result = await RunAsync(services, args, args.Positional(0, "a sub-command"), ct);
        if (args.Flag("json")) await output.WriteLineAsync(JsonSerializer.Serialize(result.Value, Json));
        else foreach (var line in result.Lines) await output.WriteLineAsync(line);
        return 0;
    }

    protected abstract Task<(object Value, IEnumerable<string> Lines)> RunAsync(IServiceProvider services, CliArguments args, string sub, CancellationToken ct);

    protected static Exception Unknown(string sub) => new CliUsageException($"unknown sub-command '{sub}'");
}

internal sealed class DatasetsVerb : WorkflowVerb
{
    public override string Name => "datasets";
    public override string Usage => "datasets list [--json] | datasets create <name> [--description <text>] [--json]";
    public override string Summary => "List datasets with their counts, or make an empty one.";

    protected override async Task<(object, IEnumerable<string>)> RunAsync(IServiceProvider services, CliArguments args, string sub, CancellationToken ct)
    {
        switch (sub)
        {
            case "list":
                var all = await services.GetRequiredService<DatasetQueries>().ListAsync(ct);
                return (all, all.Select(d => $"{d.Id}\t{d.Name}\t{d.Samples:N0} samples\t{d.Pairs:N0} pairs\t{d.Reviewed:N0} reviewed"));
            case "create":
                var made = await services.GetRequiredService<DatasetAdministration>().CreateAsync(ActorChecks.CommandLine, args.Positional(1, "the dataset's name"), args.Option("description"), ct);
                return (new { made.Id, made.Name, made.Description }, [$"Made dataset {made.Id} '{made.Name}'."]);
            default:
                throw Unknown(sub);
        }
    }
}

internal sealed class VersionsVerb : WorkflowVerb
{
    public override string Name => "versions";
    public override string Usage => "versions list --dataset <name> [--json] | versions approve --dataset <name> [--notes <text>] [--json] | " +
        "versions compare --dataset <name> --from <n> --to <n> [--json] | versions deprecate --dataset <name> --version <n> --reason <text>";
    public override string Summary => "List, approve, compare or deprecate a dataset's versions.";

    protected override async Task<(object, IEnumerable<string>)> RunAsync(IServiceProvider services, CliArguments args, string sub, CancellationToken ct)
    {
        var approvals = services.GetRequiredService<ApprovalService>();
        var dataset = await services.GetRequiredService<DatasetQueries>().IdByNameAsync(args.Required("dataset"), ct);
        switch (sub)
        {
            case "list":
                var versions = await approvals.ListAsync(dataset, ct);
                return (versions, versions.Select(v => $"v{v.Number}\t{v.PairCount:N0} pairs\t{v.ApprovedAt:u}\t{v.ApprovedBy}\t{v.ContentHash[..12]}{(v.Deprecated ? $"\tdeprecated: {v.DeprecationReason}" : "")}"));
            case "approve":
                var approved = await approvals.ApproveAsync(dataset, ActorChecks.CommandLine, args.Option("notes"), ct);
                return (approved, [$"Approved v{approved.Number}: {approved.PairCount:N0} pairs, sha256 {approved.ContentHash}."]);
            case "compare":
                var diff = await services.GetRequiredService<VersionComparer>().CompareAsync(
                    await approvals.IdOfAsync(dataset, Number(args, "from"), ct), await approvals.IdOfAsync(dataset, Number(args, "to"), ct), ct: ct);
                return (diff, [$"v{diff.FromNumber} -> v{diff.ToNumber}: {diff.Added:N0} added, {diff.Removed:N0} removed, {diff.Changed:N0} changed, {diff.Unchanged:N0} unchanged"]);
            case "deprecate":
                var number = Number(args, "version");
                await approvals.DeprecateAsync(await approvals.IdOfAsync(dataset, number, ct), ActorChecks.CommandLine, args.Required("reason"), ct);
                return (new { version = number, deprecated = true }, [$"Deprecated v{number}; exports of it are refused from now on."]);
            default:
                throw Unknown(sub);
        }
    }

    private static int Number(CliArguments args, string name) =>
        int.TryParse(args.Required(name), out var n) ? n : throw new CliUsageException($"--{name} takes a version number");
}

internal sealed class JobsVerb : WorkflowVerb
{
    public override string Name => "jobs";
    public override string Usage => "jobs list [--json] | jobs show <id> [--json] | jobs cancel <id>";
    public override string Summary => "List recent background jobs, show one with its failed items, or cancel one.";

    protected override async Task<(object, IEnumerable<string>)> RunAsync(IServiceProvider services, CliArguments args, string sub, CancellationToken ct)
    {
        var jobs = services.GetRequiredService<JobService>();
        switch (sub)
        {
            case "list":
                var recent = await jobs.RecentAsync(50, ct);
                return (recent.Select(Info), recent.Select(j => $"{j.Id}\t{j.Kind}\t{j.Status}\t{j.ItemsDone:N0}/{j.ItemsTotal:N0}\t{j.CreatedAt:u}\t{j.CreatedBy}"));
            case "show":
                var id = JobId(args);
                var job = await jobs.GetAsync(id, ct) ?? throw new CliFailureException($"there is no job {id}");
                var failures = await jobs.FailuresAsync(id, 200, ct);
                return (new { job = Info(job), failures = failures.Select(f => new { f.ItemKey, f.Reason }) },
                    [$"Job {job.Id} ({job.Kind}): {job.Status}, {job.ItemsDone:N0} of {job.ItemsTotal:N0}, {job.ItemsFailed:N0} failed{(job.Error is null ? "" : $": {job.Error}")}",
                     .. failures.Select(f => $"  {f.ItemKey}: {f.Reason}")]);
            case "cancel":
                var cancel = JobId(args);
                await jobs.CancelAsync(cancel, ActorChecks.CommandLine, ct);
                return (new { job = cancel, cancelled = true }, [$"Cancelled job {cancel}."]);
            default:
                throw Unknown(sub);
        }
    }

    private static long JobId(CliArguments args) => long.TryParse(args.Positional(1, "the job's id"), out var id) ? id : throw new CliUsageException("the job's id is a number");

    private static object Info(Job j) => new { j.Id, kind = j.Kind.ToString(), status = j.Status.ToString(), j.DatasetId, j.ItemsTotal, j.ItemsDone, j.ItemsFailed, j.Error, j.CreatedAt, j.FinishedAt, j.CreatedBy };
}

internal sealed class SpotCheckVerb : WorkflowVerb
{
    public override string Name => "spot-check";
    public override string Usage => "spot-check draw --dataset <name> --size <n> [--seed <s>] [--threshold 0.9] [--margin 0.05] [--not-stratified] [--json] | " +
        "spot-check status <id> [--json] | spot-check accept-rest <id> --stratum <stratum> [--json]";
    public override string Summary => "Draw a seeded sample of undecided pairs for review, read its strata's acceptance, accept the rest of a stratum that meets the threshold.";
    public override IReadOnlySet<string> Flags => new HashSet<string> { "json", "not-stratified" };

    protected override async Task<(object, IEnumerable<string>)> RunAsync(IServiceProvider services, CliArguments args, string sub, CancellationToken ct)
    {
        var spotChecks = services.GetRequiredService<SpotCheckService>();
        switch (sub)
        {
            case "draw":
                var dataset = await services.GetRequiredService<DatasetQueries>().IdByNameAsync(args.Required("dataset"), ct);
                var request = new SpotCheckRequest(new PairFilter(), (int)Number(args, "size", null), (long)Number(args, "seed", Random.Shared.NextInt64(1, int.MaxValue)),
                    !args.Flag("not-stratified"), Number(args, "threshold", 0.9), Number(args, "margin", 0.05));
                var check = await spotChecks.DrawAsync(dataset, request, ActorChecks.CommandLine, ct);
                return Report(await spotChecks.ReportAsync(check.Id, ct));
            case "status":
                return Report(await spotChecks.ReportAsync(Id(args), ct));
            case "accept-rest":
                var result = await spotChecks.AcceptRestAsync(Id(args), args.Required("stratum"), ActorChecks.CommandLine, ct);
                return (result, [$"Accepted {result.Applied:N0} of {result.Matched:N0} pairs as bulk action {result.BulkId} (undo: review bulk --undo {result.BulkId})."]);
            default:
                throw Unknown(sub);
        }
    }

    private static (object, IEnumerable<string>) Report(SpotCheckReport report) => (report,
        [$"Spot check {report.Check.Id}: {report.Check.SampleSize:N0} pairs of {report.Check.FilterText}, threshold {report.Check.Threshold:P0}",
         .. report.Strata.Select(s => $"  {s.Stratum}\t{s.Label}\t{s.Reviewed}/{s.Sampled} reviewed\t{(s.Rate is { } r ? $"{r:P0} accepted [{s.Low:P0}, {s.High:P0}]" : "no decision yet")}\t" +
             $"{s.Remaining:N0} left\t{(s.AcceptedByBulkId is { } b ? $"accepted by bulk {b}" : s.MeetsThreshold ? "meets the threshold" : "below the threshold")}")]);

    private static long Id(CliArguments args) => long.TryParse(args.Positional(1, "the spot check's id"), out var id) ? id : throw new CliUsageException("the spot check's id is a number");

    private static double Number(CliArguments args, string name, double? fallback) =>
        args.Option(name) is { } text ? double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : throw new CliUsageException($"--{name} takes a number, not '{text}'")
        : fallback ?? throw new CliUsageException($"--{name} is required");
}
