using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Tests.Data;

public class MultiRowInsertTests
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    [Fact]
    public async Task RowsOverSeveralStatements_ReadBackAsEfWritesThem_WithTheirIdsReturnedInOrder()
    {
        await using var core = await CoreServices.StartAsync(provider: Provider);
        var factory = core.Get<IDbContextFactory<BpoDbContext>>();
        var at = new DateTime(2026, 12, 7, 9, 30, 15, 123, DateTimeKind.Utc).AddTicks(4560); // microseconds: what PostgreSQL keeps
        long sampleId;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var dataset = new Dataset { Name = "bulk", CreatedAt = at };
            db.Datasets.Add(dataset);
            await db.SaveChangesAsync();
            var sample = new Sample { DatasetId = dataset.Id, Prompt = "p", CreatedAt = at };
            db.Samples.Add(sample);
            await db.SaveChangesAsync();
            sampleId = sample.Id;
        }
        // More rows than one statement takes (500), texts in several scripts, nulls and numbers between them.
        var rows = Enumerable.Range(0, 1_234).Select(i => new object?[]
        {
            sampleId, i % 3 == 0 ? $"réponse {i} — 答え «{i}»" : $"answer {i}", "llm-hal", i % 2 == 0 ? null : i / 4.0, at.AddSeconds(i), i % 5 == 0 ? null : "import:bpo",
        }).ToList();

        List<object[]> returned;
        await using (var db = await factory.CreateDbContextAsync())
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            using var insert = new MultiRowInsert(db.Database.GetDbConnection(), tx.GetDbTransaction(), "Responses", ["SampleId", "Text", "Kind", "Score", "CreatedAt", "Method"], ["Id", "Text"]);
            returned = await insert.InsertAsync(rows, CancellationToken.None);
            await tx.CommitAsync();
        }

        Assert.Equal(rows.Count, returned.Count);
        var byId = returned.ToDictionary(r => Convert.ToInt64(r[0]), r => (string)r[1]);
        await using var check = await factory.CreateDbContextAsync();
        var stored = await check.Responses.Where(r => r.SampleId == sampleId).OrderBy(r => r.Id).ToListAsync();
        Assert.Equal(rows.Select(r => (string)r[1]!), stored.Select(r => r.Text)); // ids ascend in the order the rows were given
        Assert.All(stored, r => Assert.Equal(byId[r.Id], r.Text));
        Assert.Equal(rows.Select(r => (double?)r[3]), stored.Select(r => r.Score));
        Assert.Equal(rows.Select(r => (DateTime)r[4]!), stored.Select(r => r.CreatedAt));
        Assert.Equal(rows.Select(r => (string?)r[5]), stored.Select(r => r.Provenance.Method));
        Assert.All(stored, r => Assert.Equal(ResponseKind.LlmHal, r.Kind));
        // The full-text index saw every row, as it does for rows EF writes.
        Assert.Equal(rows.Count / 3 + 1, await SearchCountAsync(check, "réponse"));
    }

    private static async Task<int> SearchCountAsync(BpoDbContext db, string word) =>
        db.Database.IsSqlite()
            ? await db.Database.SqlQuery<int>($"""SELECT COUNT(*) AS "Value" FROM "ResponseSearch" WHERE "ResponseSearch" MATCH {word}""").SingleAsync()
            : await db.Responses.CountAsync(r => r.Text.Contains(word));
}

public class MultiRowInsertTestsOnPostgres : MultiRowInsertTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
