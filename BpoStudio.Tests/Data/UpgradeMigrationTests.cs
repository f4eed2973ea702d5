using BpoStudio.Core.Data;
using BpoStudio.Core.Data.Postgres;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace BpoStudio.Tests.Data;

/// <summary>Migrations that move or derive data: a database at the migration before is filled, then upgraded.</summary>
public class UpgradeMigrationTests
{
    // Ratings a VLFeedback import kept in a response's ExtraJson before the ratings table existed move into it.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Upgrading_MovesTheOldRatingsIntoTheTable_WithTheirAspects(DatabaseProvider provider)
    {
        using var folder = new TestDataFolder();
        await using var postgres = provider == DatabaseProvider.Postgres ? await PostgresDatabase.CreateAsync() : null;
        await using (var db = Create(provider, folder, postgres))
        {
            await MigrateToJustBeforeAsync(db, "Ratings");
            var now = DateTime.UtcNow;
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Datasets" ("Name", "CreatedAt", "Overlap") VALUES ('old vlf', {now}, 1)""");
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Samples" ("DatasetId", "Prompt", "CreatedAt", "SourceIdGenerated") VALUES (1, 'Describe.', {now}, FALSE)""");
            await db.Database.ExecuteSqlInterpolatedAsync($$$"""
                INSERT INTO "Responses" ("SampleId", "Text", "Kind", "Score", "CreatedAt", "Method", "ExtraJson")
                VALUES (1, 'A bus.', 'gt', 4.5, {{{now}}}, 'import:vlfeedback', '{"ratings":{"Helpfulness":4,"Visual Faithfulness":5.5}}'),
                       (1, 'A train.', 'mllm-hal', 2, {{{now}}}, 'import:vlfeedback', '{"ratings":{"Helpfulness":2}}'),
                       (1, 'A car.', 'llm-hal', 0, {{{now}}}, 'model-free-injection', NULL)
                """);
            await db.GetService<IMigrator>().MigrateAsync();
        }
        await using var check = Create(provider, folder, postgres);
        var ratings = await check.ResponseRatings.OrderBy(r => r.ResponseId).ThenBy(r => r.Aspect).Select(r => new { r.ResponseId, r.Aspect, r.Value, r.RatedBy }).ToListAsync();
        Assert.Equal([(1L, "Helpfulness", 4.0), (1L, "Visual Faithfulness", 5.5), (2L, "Helpfulness", 2.0)], ratings.Select(r => (r.ResponseId, r.Aspect, r.Value!.Value)));
        Assert.All(ratings, r => Assert.Equal("import:vlfeedback", r.RatedBy));
        var aspects = await check.RatingAspects.OrderBy(a => a.Name).Select(a => new { a.Name, a.Min, a.Max }).ToListAsync();
        Assert.Equal([("Helpfulness", 1.0, 5.0), ("Visual Faithfulness", 1.0, 5.5)], aspects.Select(a => (a.Name, a.Min, a.Max)));
    }

    // Versions approved before spans were frozen on their items get the spans of the upgrade, in start order, confirmed only.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Upgrading_FreezesTheConfirmedSpansOfEarlierVersions(DatabaseProvider provider)
    {
        using var folder = new TestDataFolder();
        await using var postgres = provider == DatabaseProvider.Postgres ? await PostgresDatabase.CreateAsync() : null;
        await using (var db = Create(provider, folder, postgres))
        {
            await MigrateToJustBeforeAsync(db, "FrozenVersionSpans");
            var now = DateTime.UtcNow;
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Datasets" ("Name", "CreatedAt", "Overlap") VALUES ('old spans', {now}, 1)""");
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Samples" ("DatasetId", "Prompt", "CreatedAt", "SourceIdGenerated") VALUES (1, 'Describe.', {now}, FALSE)""");
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "Responses" ("SampleId", "Text", "Kind", "CreatedAt", "Method") VALUES (1, 'A red bus.', 'gt', {now}, 'import'), (1, 'Two "blue" cars.', 'llm-hal', {now}, 'model-free-injection')
                """);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "DatasetVersions" ("DatasetId", "Number", "ContentHash", "ApprovedBy", "ApprovedAt", "Deprecated", "PairCount") VALUES (1, 1, 'x', 'lead', {now}, FALSE, 2)
                """);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "DatasetVersionItems" ("DatasetVersionId", "PairId", "SampleId", "Prompt", "ChosenText", "RejectedText", "ChosenKind", "RejectedKind", "ChosenResponseId", "RejectedResponseId", "ChosenEdited", "RejectedEdited", "DecisionSource")
                VALUES (1, 1, 1, 'Describe.', 'A red bus.', 'Two "blue" cars.', 'gt', 'llm-hal', 1, 2, FALSE, FALSE, 'Person'), (1, 2, 1, 'Describe.', 'A red bus.', 'A red bus.', 'gt', 'gt', 1, 1, FALSE, FALSE, 'Person')
                """);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "ErrorSpans" ("DatasetId", "ResponseId", "Start", "Length", "Text", "Type", "Severity", "Status", "Origin", "CreatedAt")
                VALUES (1, 2, 4, 6, '"blue"', 'Attribute', 'Major', 'Confirmed', 'Annotator', {now}), (1, 2, 0, 3, 'Two', 'Count', 'Critical', 'Confirmed', 'Annotator', {now}),
                       (1, 2, 11, 4, 'cars', 'Object', 'Minor', 'Removed', 'Annotator', {now})
                """);
            await db.GetService<IMigrator>().MigrateAsync();
        }
        await using var check = Create(provider, folder, postgres);
        var frozen = await check.DatasetVersionItems.OrderBy(i => i.PairId).Select(i => i.ErrorSpansJson).ToListAsync();
        Assert.Null(frozen[1]);
        using var spans = System.Text.Json.JsonDocument.Parse(frozen[0]!);
        Assert.Equal([(0, 3, "Two", "Count", "Critical"), (4, 6, "\"blue\"", "Attribute", "Major")], spans.RootElement.EnumerateArray().Select(e => (e.GetProperty("start").GetInt32(),
            e.GetProperty("length").GetInt32(), e.GetProperty("text").GetString(), e.GetProperty("type").GetString(), e.GetProperty("severity").GetString())));
    }

    // Import jobs started before their row named the dataset get its id from their parameters, so history and bulk actions find them.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Upgrading_NamesTheDatasetOfEarlierImportJobs(DatabaseProvider provider)
    {
        using var folder = new TestDataFolder();
        await using var postgres = provider == DatabaseProvider.Postgres ? await PostgresDatabase.CreateAsync() : null;
        await using (var db = Create(provider, folder, postgres))
        {
            await MigrateToJustBeforeAsync(db, "ImportJobDatasets");
            var now = DateTime.UtcNow;
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Datasets" ("Name", "CreatedAt", "Overlap") VALUES ('old imports', {now}, 1), ('other', {now}, 1)""");
            await db.Database.ExecuteSqlInterpolatedAsync($$$"""
                INSERT INTO "Jobs" ("Kind", "DatasetId", "ParametersJson", "Status", "ItemsTotal", "ItemsDone", "ItemsFailed", "CreatedAt", "RowVersion")
                VALUES ('Import', NULL, '{"filePath":"/data/a.jsonl","datasetName":"old imports"}', 'Completed', 0, 0, 0, {{{now}}}, 0),
                       ('Import', NULL, '{"filePath":"/data/b.jsonl","datasetName":"gone"}', 'Completed', 0, 0, 0, {{{now}}}, 0),
                       ('Export', 2, '{"exportId":1}', 'Completed', 0, 0, 0, {{{now}}}, 0)
                """);
            await db.GetService<IMigrator>().MigrateAsync();
        }
        await using var check = Create(provider, folder, postgres);
        var datasets = await check.Jobs.OrderBy(j => j.Id).Select(j => j.DatasetId).ToListAsync();
        Assert.Equal([1, null, 2], datasets); // a dataset deleted since stays unnamed; other jobs are untouched
    }

    // A pair's one assignee before overlap could mean N becomes its first assignment; unassigned pairs get none.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Upgrading_MovesEachPairsAssigneeIntoItsAssignments(DatabaseProvider provider)
    {
        using var folder = new TestDataFolder();
        await using var postgres = provider == DatabaseProvider.Postgres ? await PostgresDatabase.CreateAsync() : null;
        await using (var db = Create(provider, folder, postgres))
        {
            await MigrateToJustBeforeAsync(db, "PairAssignments");
            var now = DateTime.UtcNow;
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Datasets" ("Name", "CreatedAt", "Overlap") VALUES ('old shares', {now}, 1)""");
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Samples" ("DatasetId", "Prompt", "CreatedAt", "SourceIdGenerated") VALUES (1, 'Describe.', {now}, FALSE)""");
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "Responses" ("SampleId", "Text", "Kind", "CreatedAt", "Method") VALUES (1, 'A bus.', 'gt', {now}, 'import'), (1, 'A car.', 'llm-hal', {now}, 'x'), (1, 'A van.', 'llm-hal', {now}, 'x')
                """);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "Pairs" ("DatasetId", "SampleId", "ChosenResponseId", "RejectedResponseId", "Status", "AssigneeId", "DecisionSource", "RowVersion")
                VALUES (1, 1, 1, 2, 'Pending', 'ann-id', 'Person', 0), (1, 1, 1, 3, 'Pending', NULL, 'Person', 0)
                """);
            await db.GetService<IMigrator>().MigrateAsync();
        }
        await using var check = Create(provider, folder, postgres);
        var assignments = await check.PairAssignments.Select(a => new { a.PairId, a.UserId, a.DatasetId }).ToListAsync();
        Assert.Equal([(1L, "ann-id", 1)], assignments.Select(a => (a.PairId, a.UserId, a.DatasetId)));
        // The column goes in place: the table keeps what earlier migrations gave it (a rebuild lost DecisionSource's default).
        await check.Database.ExecuteSqlRawAsync("""
            INSERT INTO "Pairs" ("DatasetId", "SampleId", "ChosenResponseId", "RejectedResponseId", "Status", "RowVersion") VALUES (1, 1, 1, 3, 'Pending', 0)
            """);
    }

    // An export's status, error and finish time become its job's; a deleted export keeps when it was deleted.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Upgrading_LeavesAnExportsStatusToItsJob_AndKeepsItsDeletion(DatabaseProvider provider)
    {
        using var folder = new TestDataFolder();
        await using var postgres = provider == DatabaseProvider.Postgres ? await PostgresDatabase.CreateAsync() : null;
        var created = new DateTime(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);
        var deleted = created.AddDays(2);
        await using (var db = Create(provider, folder, postgres))
        {
            await MigrateToJustBeforeAsync(db, "ExportStatusFromJob");
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Datasets" ("Name", "CreatedAt", "Overlap") VALUES ('old exports', {created}, 1)""");
            await db.Database.ExecuteSqlInterpolatedAsync($$$"""
                INSERT INTO "Jobs" ("Kind", "DatasetId", "ParametersJson", "Status", "Error", "ItemsTotal", "ItemsDone", "ItemsFailed", "CreatedAt", "FinishedAt", "RowVersion")
                VALUES ('Export', 1, '{"exportId":1}', 'Completed', NULL, 2, 2, 0, {{{created}}}, {{{created}}}, 0),
                       ('Export', 1, '{"exportId":2}', 'Failed', 'disk full', 2, 0, 0, {{{created}}}, {{{created}}}, 0)
                """);
            await db.Database.ExecuteSqlInterpolatedAsync($$"""
                INSERT INTO "Exports" ("DatasetId", "IsDraft", "Format", "OptionsJson", "Status", "ManifestJson", "PairsWritten", "PairsSkipped", "Error", "JobId", "CreatedAt", "FinishedAt")
                VALUES (1, TRUE, 'trl', '{}', 'Deleted', '{}', 2, 0, NULL, 1, {{created}}, {{created}}),
                       (1, TRUE, 'trl', '{}', 'Failed', NULL, 0, 0, 'disk full', 2, {{created}}, {{created}})
                """);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "AuditEntries" ("At", "UserName", "Action", "Subject") VALUES ({deleted}, 'lead', 'export.delete', 'export 1')
                """);
            await db.GetService<IMigrator>().MigrateAsync();
        }
        await using var check = Create(provider, folder, postgres);
        Assert.Equal([deleted, null], await check.Exports.OrderBy(e => e.Id).Select(e => e.DeletedAt).ToListAsync());
    }

    // Which imports a rollback undid becomes the import's state: the file it read, when and by whom it was rolled back.
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Upgrading_RecordsEarlierRollbacksOnTheImportsTheyUndid(DatabaseProvider provider)
    {
        using var folder = new TestDataFolder();
        await using var postgres = provider == DatabaseProvider.Postgres ? await PostgresDatabase.CreateAsync() : null;
        var at = new DateTime(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);
        await using (var db = Create(provider, folder, postgres))
        {
            await MigrateToJustBeforeAsync(db, "ImportRollbackState");
            await db.Database.ExecuteSqlInterpolatedAsync($"""INSERT INTO "Datasets" ("Name", "CreatedAt", "Overlap") VALUES ('old imports', {at}, 1)""");
            await db.Database.ExecuteSqlInterpolatedAsync($$$"""
                INSERT INTO "Jobs" ("Kind", "DatasetId", "ParametersJson", "Status", "ItemsTotal", "ItemsDone", "ItemsFailed", "CreatedAt", "FinishedAt", "RowVersion")
                VALUES ('Import', 1, '{"filePath":"/data/uploads/a.jsonl","datasetName":"old imports"}', 'Completed', 0, 0, 0, {{{at}}}, {{{at}}}, 0),
                       ('Import', 1, '{"filePath":"C:\\data\\b.jsonl","datasetName":"old imports"}', 'Completed', 0, 0, 0, {{{at}}}, {{{at}}}, 0),
                       ('Import', 1, '{"filePath":"/data/uploads/a.jsonl","datasetName":"old imports"}', 'Completed', 0, 0, 0, {{{at.AddHours(2)}}}, {{{at.AddHours(2)}}}, 0)
                """);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "AuditEntries" ("At", "UserName", "Action", "Subject") VALUES ({at.AddHours(1)}, 'lead@example.test', 'import.rollback', 'old imports / a.jsonl')
                """);
            await db.GetService<IMigrator>().MigrateAsync();
        }
        await using var check = Create(provider, folder, postgres);
        var jobs = await check.Jobs.OrderBy(j => j.Id).Select(j => new { j.SourceFile, j.RolledBackAt, j.RolledBackBy }).ToListAsync();
        Assert.Equal([("a.jsonl", (DateTime?)at.AddHours(1), "lead@example.test"), ("b.jsonl", null, null), ("a.jsonl", null, null)],
            jobs.Select(j => (j.SourceFile, j.RolledBackAt, j.RolledBackBy)));
    }

    private static async Task MigrateToJustBeforeAsync(BpoDbContext db, string migration) =>
        await db.GetService<IMigrator>().MigrateAsync(db.Database.GetMigrations()
            .TakeWhile(m => !m.EndsWith($"_{migration}", StringComparison.Ordinal) && !m.EndsWith($"_{migration}Postgres", StringComparison.Ordinal)).Last());

    private static BpoDbContext Create(DatabaseProvider provider, TestDataFolder folder, PostgresDatabase? postgres) => provider == DatabaseProvider.Postgres
        ? new PostgresBpoDbContext(new DbContextOptionsBuilder<PostgresBpoDbContext>().UseNpgsql(postgres!.ConnectionString).Options)
        : new BpoDbContext(new DbContextOptionsBuilder<BpoDbContext>().UseSqlite($"Data Source={folder.File("upgrade.db")}").Options);
}
