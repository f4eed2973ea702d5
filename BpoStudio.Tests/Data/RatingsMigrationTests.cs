using BpoStudio.Core.Data;
using BpoStudio.Core.Data.Postgres;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace BpoStudio.Tests.Data;

/// <summary>Ratings a VLFeedback import kept in a response's ExtraJson before the ratings table existed move into it on upgrade.</summary>
public class RatingsMigrationTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Upgrading_MovesTheOldRatingsIntoTheTable_WithTheirAspects(DatabaseProvider provider)
    {
        using var folder = new TestDataFolder();
        await using var postgres = provider == DatabaseProvider.Postgres ? await PostgresDatabase.CreateAsync() : null;
        await using (var db = Create(provider, folder, postgres))
        {
            var migrator = db.GetService<IMigrator>();
            var before = db.Database.GetMigrations().TakeWhile(m => !m.EndsWith("_Ratings", StringComparison.Ordinal) && !m.EndsWith("_RatingsPostgres", StringComparison.Ordinal)).Last();
            await migrator.MigrateAsync(before);
            var now = DateTime.UtcNow;
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Datasets" ("Name", "CreatedAt", "Overlap") VALUES ('old vlf', {now}, 1)""");
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Samples" ("DatasetId", "Prompt", "CreatedAt", "SourceIdGenerated") VALUES (1, 'Describe.', {now}, FALSE)""");
            await db.Database.ExecuteSqlInterpolatedAsync($$$"""
                INSERT INTO "Responses" ("SampleId", "Text", "Kind", "Score", "CreatedAt", "Method", "ExtraJson")
                VALUES (1, 'A bus.', 'gt', 4.5, {{{now}}}, 'import:vlfeedback', '{"ratings":{"Helpfulness":4,"Visual Faithfulness":5.5}}'),
                       (1, 'A train.', 'mllm-hal', 2, {{{now}}}, 'import:vlfeedback', '{"ratings":{"Helpfulness":2}}'),
                       (1, 'A car.', 'llm-hal', 0, {{{now}}}, 'model-free-injection', NULL)
                """);
            await migrator.MigrateAsync();
        }
        await using var check = Create(provider, folder, postgres);
        var ratings = await check.ResponseRatings.OrderBy(r => r.ResponseId).ThenBy(r => r.Aspect).Select(r => new { r.ResponseId, r.Aspect, r.Value, r.RatedBy }).ToListAsync();
        Assert.Equal([(1L, "Helpfulness", 4.0), (1L, "Visual Faithfulness", 5.5), (2L, "Helpfulness", 2.0)], ratings.Select(r => (r.ResponseId, r.Aspect, r.Value!.Value)));
        Assert.All(ratings, r => Assert.Equal("import:vlfeedback", r.RatedBy));
        var aspects = await check.RatingAspects.OrderBy(a => a.Name).Select(a => new { a.Name, a.Min, a.Max }).ToListAsync();
        Assert.Equal([("Helpfulness", 1.0, 5.0), ("Visual Faithfulness", 1.0, 5.5)], aspects.Select(a => (a.Name, a.Min, a.Max)));
    }

    private static BpoDbContext Create(DatabaseProvider provider, TestDataFolder folder, PostgresDatabase? postgres) => provider == DatabaseProvider.Postgres
        ? new PostgresBpoDbContext(new DbContextOptionsBuilder<PostgresBpoDbContext>().UseNpgsql(postgres!.ConnectionString).Options)
        : new BpoDbContext(new DbContextOptionsBuilder<BpoDbContext>().UseSqlite($"Data Source={folder.File("upgrade.db")}").Options);
}
