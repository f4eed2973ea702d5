using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Cli;

/// <summary><c>review</c>: the pair checks, findings per pair, and bulk decisions over a filter (and their undo).</summary>
internal sealed class ReviewVerb : ICliVerb
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => "review";
    public string Usage => "review checks --dataset <name> [--recompute] [--json] | review list --dataset <name> [filters] [--limit <n>] [--json] | " +
        "review bulk --dataset <name> --decision accept|reject|flag|assign|unassign [--reason <text>] [--assignee <email>] [filters] [--include-decided] [--dry-run] [--json] | " +
        "review bulk --undo <bulkId> [--json]; filters: " + CliPairFilter.Usage;
    public string Summary => "Run or read the automatic pair checks, list pairs with their findings, and decide every pair matching a filter at once.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json", "recompute", CliPairFilter.NoBlockingFlag, "include-decided", "dry-run" };

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct) =>
        args.Positional(0, "a sub-command (checks, list or bulk)") switch
        {
            "checks" => await ChecksAsync(services, args, output, ct),
            "list" => await ListAsync(services, args, output, ct),
            "bulk" => args.Option("undo") is { } undo ? await UndoAsync(services, undo, args, output, ct) : await BulkAsync(services, args, output, ct),
            var other => throw new CliUsageException($"unknown sub-command '{other}'"),
        };

    private static async Task<int> ChecksAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var dataset = await DatasetAsync(services, args, ct);
        var checker = services.GetRequiredService<PairChecker>();
        long pairs;
        IReadOnlyDictionary<string, int> findings;
        if (args.Flag("recompute"))
            (pairs, findings, _) = await checker.RecomputeAsync(dataset.Id, ActorChecks.CommandLine, ct: ct);
        else
        {
            pairs = dataset.Pairs;
            findings = await checker.CountsAsync(dataset.Id, ct);
        }
        if (args.Flag("json"))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { pairs, findings }, Json));
            return 0;
        }
        await output.WriteLineAsync($"{dataset.Name}: {pairs:N0} pairs");
        foreach (var check in await checker.CatalogAsync(dataset.Id, ct))
            await output.WriteLineAsync($"  {check.Id,-18} {check.Severity.ToWire(),-5} {findings.GetValueOrDefault(check.Id),10:N0}  {check.Description}");
        return 0;
    }

    private static async Task<int> ListAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var dataset = await DatasetAsync(services, args, ct);
        var limit = args.Option("limit") is { } text ? int.TryParse(text, out var n) && n > 0 ? n : throw new CliUsageException("--limit must be a positive number") : 100;
        var (total, rows) = await services.GetRequiredService<TriageQueries>().PairsAsync(dataset.Id, CliPairFilter.Parse(args, services), take: limit, ct: ct);
        if (args.Flag("json"))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                total,
                pairs = rows.Select(r => new
                {
                    id = r.PairId, sampleId = r.SampleId, sampleSourceId = r.SampleSourceId, status = r.Status.ToString().ToLowerInvariant(), kind = r.RejectedKind.ToWire(), method = r.Method,
                    findings = r.Findings.Select(f => new { id = f.CheckId, severity = f.Severity.ToWire(), detail = f.Detail }),
                }),
            }, Json));
            return 0;
        }
        await output.WriteLineAsync($"{total:N0} pairs match; the first {rows.Count}:");
        foreach (var row in rows)
            await output.WriteLineAsync($"  pair {row.PairId} ({row.SampleSourceId}, {row.Status.ToString().ToLowerInvariant()}): " +
                (row.Findings.Count == 0 ? "no findings" : string.Join("; ", row.Findings.Select(f => $"{f.CheckId} [{f.Severity.ToWire()}] {f.Detail}"))));
        return 0;
    }

    private static async Task<int> BulkAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var dataset = await DatasetAsync(services, args, ct);
        var operation = args.Required("decision").ToLowerInvariant() switch
        {
            "accept" => BulkOperation.Accept, "reject" => BulkOperation.Reject, "flag" => BulkOperation.Flag,
            "assign" => BulkOperation.Assign, "unassign" => BulkOperation.Unassign,
            var other => throw new CliUsageException($"--decision must be accept, reject, flag, assign or unassign, not '{other}'"),
        };
        string? assignee = null;
        if (args.Option("assignee") is { } email)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<Core.Data.BpoDbContext>>().CreateDbContextAsync(ct);
            assignee = await db.Users.Where(u => u.Email == email).Select(u => u.Id).FirstOrDefaultAsync(ct) ?? throw new CliFailureException($"There is no user '{email}'.");
        }
        var request = new BulkRequest(CliPairFilter.Parse(args, services), operation, args.Option("reason"), assignee, args.Flag("include-decided"));
        var bulk = services.GetRequiredService<BulkActionService>();
        var result = args.Flag("dry-run") ? await bulk.PreviewAsync(dataset.Id, request, ActorChecks.CommandLine, ct) : await bulk.ApplyAsync(dataset.Id, request, ActorChecks.CommandLine, ct: ct);
        if (args.Flag("json"))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { matched = result.Matched, applied = result.Applied, bulkId = result.BulkId, dryRun = args.Flag("dry-run") }, Json));
            return 0;
        }
        await output.WriteLineAsync(result.BulkId is { } id
            ? $"Bulk action {id}: {operation.ToString().ToLowerInvariant()} applied to {result.Applied:N0} of {result.Matched:N0} matching pairs ({request.Filter.Describe()}). Undo with: review bulk --undo {id}"
            : $"Dry run: {result.Applied:N0} of {result.Matched:N0} matching pairs would change ({request.Filter.Describe()}).");
        foreach (var row in result.Sample) await output.WriteLineAsync($"  pair {row.PairId}: {Short(row.Rejected)}");
        return 0;
    }

    private static async Task<int> UndoAsync(IServiceProvider services, string text, CliArguments args, TextWriter output, CancellationToken ct)
    {
        if (!long.TryParse(text, out var bulkId)) throw new CliUsageException($"--undo takes a bulk action's id, not '{text}'");
        var undo = await services.GetRequiredService<BulkActionService>().UndoAsync(bulkId, ActorChecks.CommandLine, ct);
        await output.WriteLineAsync(args.Flag("json")
            ? JsonSerializer.Serialize(new { bulkId, restored = undo.Restored, kept = undo.KeptLaterChanges }, Json)
            : $"Bulk action {bulkId} undone: {undo.Restored:N0} pairs restored, {undo.KeptLaterChanges:N0} kept because someone changed them since.");
        return 0;
    }

    private static async Task<DatasetSummary> DatasetAsync(IServiceProvider services, CliArguments args, CancellationToken ct)
    {
        var name = args.Required("dataset");
        return (await services.GetRequiredService<DatasetQueries>().ListAsync(ct)).FirstOrDefault(d => d.Name == name) ?? throw new CliFailureException($"There is no dataset '{name}'.");
    }

    private static string Short(string text) => text.Length <= 80 ? text : text[..79] + "…";
}
