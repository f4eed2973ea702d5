using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Review;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Benchmarks;

public sealed record ReviewBenchmarkResult(
    long Pairs, double SeedSeconds, double ColdOpenMs, double WarmOpenMs,
    LatencySummary AcceptAndNext, LatencySummary BaselineLookup, double P95RatioToBaseline);

/// <summary>
/// <c>bench review</c>: a dataset of N pairs, then the annotator's hot path (accept, load the next pair) timed server
/// side through the queue's serve-and-reserve step the page uses, against the bare indexed SQLite lookup of one pair measured in the same run.
/// </summary>
public sealed class ReviewBenchmark(IDbContextFactory<BpoDbContext> dbFactory, ReviewQueries queries, ReviewQueue queue, ReviewService reviews)
{
    public async Task<ReviewBenchmarkResult> RunAsync(long pairs, int decisions, CancellationToken ct = default)
    {
        var datasetId = 0;
        var seed = await Measure.MillisecondsAsync(async () => datasetId = await SeedAsync(pairs, ct));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var reviewer = Accounts.ActorChecks.OnBehalfOf("bench-reviewer", Accounts.Roles.Annotator);

        // Cold: the first open in this process (model building, first queries, cold page cache).
        var coldOpen = await Measure.MillisecondsAsync(async () =>
        {
            await queue.ServeAsync(datasetId, reviewer, ct: ct);
            await queries.ProgressAsync(datasetId, reviewer.UserId(), ct);
        });
        var warmOpen = await Measure.MillisecondsAsync(async () =>
        {
            await queue.ServeAsync(datasetId, reviewer, ct: ct);
            await queries.ProgressAsync(datasetId, reviewer.UserId(), ct);
        });

        var hotPath = new List<double>(decisions);
        var pair = await queue.ServeAsync(datasetId, reviewer, ct: ct);
        for (var i = 0; i < decisions && pair is not null; i++)
        {
            var current = pair;
            hotPath.Add(await Measure.MillisecondsAsync(async () =>
            {
                await reviews.AcceptAsync(current.PairId, current.RowVersion, reviewer, ct);
                pair = await queue.ServeAsync(datasetId, reviewer, ct: ct); // serve reserves, as the page does
            }));
        }

        var baseline = await BaselineLookupsAsync(db, pairs, decisions, ct);
        var accept = LatencySummary.From(hotPath);
        var lookup = LatencySummary.From(baseline);
        return new ReviewBenchmarkResult(pairs, seed / 1000, coldOpen, warmOpen, accept, lookup, accept.P95Ms / lookup.P95Ms);
    }

    private const string DatasetName = "bench-review";

    /// <summary>A dataset of pending pairs without images, for the review benchmarks; its id.</summary>
    // Set-based inserts: seeding a million pairs row by row through EF would measure EF, not the review path.
    public async Task<int> SeedAsync(long pairs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Datasets.Add(new Datasets.Dataset { Name = DatasetName, CreatedAt = DateTime.UtcNow, CreatedBy = "bench" });
        await db.SaveChangesAsync(ct);
        var datasetId = await db.Datasets.Where(d => d.Name == DatasetName).Select(d => d.Id).SingleAsync(ct);
        var samples = (pairs + 1) / 2;
        var now = DateTime.UtcNow;
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Quoted names and portable SQL: the same seed on SQLite and PostgreSQL.
        await db.Database.ExecuteSqlAsync($"""
            WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {samples})
            INSERT INTO "Samples" ("DatasetId", "Prompt", "CreatedAt", "SourceFile", "SourceRecordId", "SourceTurn", "SourceIdGenerated")
            SELECT {datasetId}, 'What is happening in picture ' || x || '?', {now}, 'bench', CAST(x AS TEXT), 0, FALSE FROM n;
            """, ct);
        foreach (var (kind, text) in new[] { ("gt", "A red bus waits at stop "), ("llm-hal", "A green bus waits at stop "), ("llm-hal", "A red train waits at stop ") })
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO "Responses" ("SampleId", "Text", "Kind", "CreatedAt", "Method")
                SELECT "Id", {text} || "Id" || '.', {kind}, {now}, 'bench' FROM "Samples" WHERE "DatasetId" = {datasetId};
                """, ct);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "Pairs" ("DatasetId", "SampleId", "ChosenResponseId", "RejectedResponseId", "Status", "DecisionSource", "RowVersion")
            SELECT s."DatasetId", s."Id", g."Id", r."Id", 'Pending', 'Person', 0
            FROM "Samples" s JOIN "Responses" g ON g."SampleId" = s."Id" AND g."Kind" = 'gt'
                           JOIN "Responses" r ON r."SampleId" = s."Id" AND r."Kind" = 'llm-hal'
            WHERE s."DatasetId" = {datasetId} ORDER BY s."Id", r."Id" LIMIT {pairs};
            """, ct);
        await tx.CommitAsync(ct);
        await db.Database.ExecuteSqlRawAsync("ANALYZE;", ct);
        return datasetId;
    }

    private static async Task<List<double>> BaselineLookupsAsync(BpoDbContext db, long pairs, int count, CancellationToken ct)
    {
        // A connection of its own, outside EF, on either provider.
        await using var connection = db.Database.IsSqlite() ? (System.Data.Common.DbConnection)new SqliteConnection(db.Database.GetConnectionString())
            : new Npgsql.NpgsqlConnection(db.Database.GetConnectionString());
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """SELECT "Id", "SampleId", "ChosenResponseId", "RejectedResponseId", "Status", "RowVersion" FROM "Pairs" WHERE "Id" = @id""";
        var id = command.CreateParameter();
        id.ParameterName = "@id";
        command.Parameters.Add(id);
        var random = new Random(1);
        var timings = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            id.Value = random.NextInt64(1, pairs + 1);
            timings.Add(await Measure.MillisecondsAsync(async () =>
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) { }
            }));
        }
        return timings;
    }
}
