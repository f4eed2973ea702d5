using System.Diagnostics;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Dashboard;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Core.Triage.Checks;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Benchmarks;

public sealed record TriageBenchmarkResult(
    long Pairs, double SeedSeconds,
    double ChecksSeconds, double ChecksAgainSeconds, double ReadBaselineSeconds, IReadOnlyDictionary<string, int> Findings,
    LatencySummary FindingNext, LatencySummary PlainNext,
    LatencySummary SearchRare, LatencySummary SearchCommon, LatencySummary LikeScan,
    double DashboardMs, double TriageOverviewMs, double CountBaselineMs,
    double BulkAcceptSeconds, double UpdateBaselineSeconds, double BulkUndoSeconds, int BulkApplied);

/// <summary>
/// <c>bench triage</c>: N pairs seeded with a known share of identical, placeholder, refusal and looping negatives; then
/// each triage path timed beside a baseline measured in the same run on the same data: all checks (vs reading the same
/// rows), "has finding" + next pair (vs today's unfiltered next), full-text search (vs the LIKE scan it replaced), the
/// dataset dashboard (vs counting the pairs), and a bulk accept of every pair (vs one bare UPDATE of the same rows).
/// </summary>
public sealed class TriageBenchmark(IDbContextFactory<BpoDbContext> dbFactory, PairChecker checker, ReviewQueries queries, ReviewService reviews,
    BulkActionService bulk, DashboardQueries dashboard, TriageQueries triage)
{
    private const string DatasetName = "bench-triage";

    public async Task<TriageBenchmarkResult> RunAsync(long pairs, int lookups, CancellationToken ct = default)
    {
        var seed = await Measure.MillisecondsAsync(() => SeedAsync(pairs, ct));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetId = await db.Datasets.Where(d => d.Name == DatasetName).Select(d => d.Id).SingleAsync(ct);
        var lead = ActorChecks.CommandLine;

        var read = await Measure.MillisecondsAsync(() => ReadRowsAsync(db, datasetId, ct));
        var clock = Stopwatch.StartNew();
        var summary = await checker.RecomputeAsync(datasetId, lead, ct: ct);
        var checks = clock.Elapsed.TotalSeconds;
        // The seed writes pairs as SQL, without the content fingerprints an import stores as it checks each batch; the
        // first run writes a million of them. A lead's later run (after changing a check) finds them in place.
        clock.Restart();
        await checker.RecomputeAsync(datasetId, lead, ct: ct);
        var checksAgain = clock.Elapsed.TotalSeconds;

        // The annotator's path with a finding filter, deciding as they go, against the same path unfiltered.
        var reviewer = Accounts.ActorChecks.OnBehalfOf("bench-reviewer", Accounts.Roles.Annotator);
        var findingNext = await DecideAsync(datasetId, reviewer, new PairFilter(Finding: CheckIds.Placeholder), lookups, ct);
        var plainNext = await DecideAsync(datasetId, reviewer, null, lookups, ct);

        var samples = await db.Samples.Where(s => s.DatasetId == datasetId).OrderBy(s => s.Id).Select(s => s.Id).ToListAsync(ct);
        var random = new Random(7);
        var rare = await TimesAsync(lookups, () => queries.NextAsync(datasetId, reviewer.UserId(), new PairFilter(Search: $"w{random.Next(1, samples.Count + 1)}"), ct: ct));
        var common = await TimesAsync(lookups, () => queries.NextAsync(datasetId, reviewer.UserId(), new PairFilter(Search: "green bus"), ct: ct));
        var likeScan = await TimesAsync(Math.Max(3, lookups / 40), async () =>
        {
            await using var scan = await dbFactory.CreateDbContextAsync(ct);
            var term = $"w{random.Next(1, samples.Count + 1)}";
            return await PairSearch.Like(scan.Matching(datasetId, null, PairStatus.Pending), term).OrderBy(p => p.Id).Select(p => (long?)p.Id).FirstOrDefaultAsync(ct);
        });

        await dashboard.LoadAsync(datasetId, lead, ct: ct); // warm the model and caches once, as a page already open would be
        var dashboardMs = await Measure.MillisecondsAsync(() => dashboard.LoadAsync(datasetId, lead, ct: ct));
        var overviewMs = await Measure.MillisecondsAsync(() => triage.OverviewAsync(datasetId, lead, ct));
        var countMs = await Measure.MillisecondsAsync(() => db.Pairs.Where(p => p.DatasetId == datasetId).GroupBy(p => p.Status).Select(g => g.Count()).ToListAsync(ct));

        var update = await BareUpdateSecondsAsync(db, datasetId, ct);
        clock.Restart();
        var applied = await bulk.ApplyAsync(datasetId, new BulkRequest(new PairFilter(Status: PairStatus.Pending), BulkOperation.Accept), lead, ct: ct);
        var bulkSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        await bulk.UndoAsync(applied.BulkId!.Value, lead, ct);
        var undoSeconds = clock.Elapsed.TotalSeconds;

        return new TriageBenchmarkResult(pairs, seed / 1000, checks, checksAgain, read / 1000, summary.Findings,
            LatencySummary.From(findingNext), LatencySummary.From(plainNext), LatencySummary.From(rare), LatencySummary.From(common), LatencySummary.From(likeScan),
            dashboardMs, overviewMs, countMs, bulkSeconds, update, undoSeconds, applied.Applied);
    }

    private async Task<List<double>> DecideAsync(int datasetId, System.Security.Claims.ClaimsPrincipal reviewer, PairFilter? filter, int count, CancellationToken ct)
    {
        var timings = new List<double>(count);
        var pair = await queries.NextAsync(datasetId, reviewer.UserId(), filter, ct: ct);
        for (var i = 0; i < count && pair is not null; i++)
        {
            await reviews.AcceptAsync(pair.PairId, pair.RowVersion, reviewer, ct);
            timings.Add(await Measure.MillisecondsAsync(async () => pair = await queries.NextAsync(datasetId, reviewer.UserId(), filter, ct: ct)));
        }
        return timings;
    }

    private static async Task<List<double>> TimesAsync<T>(int count, Func<Task<T>> action)
    {
        var timings = new List<double>(count);
        for (var i = 0; i < count; i++) timings.Add(await Measure.MillisecondsAsync(action));
        return timings;
    }

    // What any check run must do at least: step the same join and read the same columns.
    private static async Task ReadRowsAsync(BpoDbContext db, int datasetId, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        // The checks' own query over every pair, so the baseline follows the checks' plan and not whichever index
        // another feature adds (an index on the dataset and id made a differently written baseline 40 % faster).
        await using var command = SqlCommands.Create(connection, null, Triage.PairChecker.ReadSql(bySampleId: false), ("dataset", datasetId), ("low", 0L), ("high", long.MaxValue));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            for (var i = 2; i < 5; i++) _ = reader.GetString(i);
    }

    // One UPDATE of the same rows to the same state, then back: the least any bulk accept writes.
    private static async Task<double> BareUpdateSecondsAsync(BpoDbContext db, int datasetId, CancellationToken ct)
    {
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10)); // PostgreSQL took over Npgsql's default 30 s to put a million rows back
        var clock = Stopwatch.StartNew();
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            await db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted).SetProperty(p => p.RowVersion, p => p.RowVersion + 1), ct);
            await tx.CommitAsync(ct);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Accepted && p.DecidedBy == null)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Pending), ct);
        return seconds;
    }

    // Set-based inserts with a known share of troubled negatives: x % 100 = 0 identical, 1 placeholder, 2 refusal, 3 loop.
    private async Task SeedAsync(long pairs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Datasets.Add(new Dataset { Name = DatasetName, CreatedAt = DateTime.UtcNow, CreatedBy = "bench" });
        await db.SaveChangesAsync(ct);
        var datasetId = await db.Datasets.Where(d => d.Name == DatasetName).Select(d => d.Id).SingleAsync(ct);
        var now = DateTime.UtcNow;
        // Quoted names and portable SQL: the same seed on SQLite and PostgreSQL (bench triage --BpoStudio:Database=Postgres).
        var imageHash = db.Database.IsSqlite() ? "printf('%064d', x % 5000)" : "lpad((x % 5000)::text, 64, '0')";
        var recordNumber = db.Database.IsSqlite() ? """CAST("SourceRecordId" AS INTEGER)""" : """CAST("SourceRecordId" AS BIGINT)""";
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
#pragma warning disable EF1002 // the interpolated pieces are the two fixed SQL fragments above; the values are parameters
        await db.Database.ExecuteSqlRawAsync($$"""
            WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {0})
            INSERT INTO "Samples" ("DatasetId", "ImageHash", "Prompt", "CreatedAt", "SourceFile", "SourceRecordId", "SourceTurn", "SourceIdGenerated")
            SELECT {1}, {{imageHash}}, 'What is happening in picture w' || x || '?', {2}, 'bench', CAST(x AS TEXT), 0, FALSE FROM n;
            """, [pairs, datasetId, now], ct);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "Responses" ("SampleId", "Text", "Kind", "CreatedAt", "Method")
            SELECT "Id", 'A red bus waits at stop ' || "SourceRecordId" || ' near the old station.', 'gt', {now}, 'import:bench' FROM "Samples" WHERE "DatasetId" = {datasetId};
            """, ct);
        await db.Database.ExecuteSqlRawAsync($$"""
            INSERT INTO "Responses" ("SampleId", "Text", "Kind", "CreatedAt", "Method")
            SELECT "Id", CASE {{recordNumber}} % 100
                WHEN 0 THEN 'A red bus waits at stop ' || "SourceRecordId" || ' near the old station.'
                WHEN 1 THEN '<image> A green bus waits at stop ' || "SourceRecordId" || ' near the old station.'
                WHEN 2 THEN 'I''m sorry, but I cannot see the image clearly enough to say.'
                WHEN 3 THEN 'the bus the bus the bus the bus the bus the bus the bus the bus'
                ELSE 'A green bus waits at stop ' || "SourceRecordId" || ' near the new station.' END,
                'llm-hal', {0}, 'model-free-injection' FROM "Samples" WHERE "DatasetId" = {1};
            """, [now, datasetId], ct);
#pragma warning restore EF1002
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "Pairs" ("DatasetId", "SampleId", "ChosenResponseId", "RejectedResponseId", "Status", "DecisionSource", "RowVersion")
            SELECT s."DatasetId", s."Id", g."Id", r."Id", 'Pending', 'Person', 0
            FROM "Samples" s JOIN "Responses" g ON g."SampleId" = s."Id" AND g."Kind" = 'gt' JOIN "Responses" r ON r."SampleId" = s."Id" AND r."Kind" = 'llm-hal'
            WHERE s."DatasetId" = {datasetId} ORDER BY s."Id";
            """, ct);
        await tx.CommitAsync(ct);
        await db.Database.ExecuteSqlRawAsync("ANALYZE;", ct);
    }
}
