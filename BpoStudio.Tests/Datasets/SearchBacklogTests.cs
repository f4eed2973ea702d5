using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Import;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Datasets;

/// <summary>
/// A large import leaves SQLite's full-text index behind and it catches up afterwards: nothing is unsearchable
/// meanwhile, nothing is left out or doubled once caught up (FTS5's own integrity check against the tables), and a
/// live import's hold keeps the catching up from competing with it until it ends or lapses.
/// </summary>
public class SearchBacklogTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;
    private bool Sqlite => Provider == DatabaseProvider.Sqlite;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _core.Get<DatasetImporter>().HoldSearchFrom = 0; // every import here holds the index from its first batch
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task ALargeImport_IsSearchableAtOnce_AndInTheIndexOnceCaughtUp()
    {
        var dataset = await ImportAsync("zoo", 40, i => $"Is the zebra in picture {i} standing?");

        Assert.Equal(Sqlite ? 40 + 80 : 0, await BacklogAsync()); // 40 prompts, 80 answers
        if (Sqlite) Assert.Equal(0, await MatchesAsync("zebra"));
        Assert.Equal(40, (await SearchAsync(dataset, "zebra")).Count);
        Assert.Equal(40, (await SearchAsync(dataset, "ZEBRA stand")).Count); // any case; the last word's start
        Assert.Single(await SearchAsync(dataset, "picture 17 standing"));
        Assert.Empty(await SearchAsync(dataset, "zebra lion"));

        Assert.Equal(Sqlite ? 120 : 0, await _core.Get<SearchIndexer>().CatchUpAsync(default));
        Assert.Equal(0, await BacklogAsync());
        if (Sqlite)
        {
            Assert.Equal(40, await MatchesAsync("zebra"));
            await AssertIndexWholeAsync();
        }
        Assert.Equal(40, (await SearchAsync(dataset, "zebra")).Count);
        Assert.Single(await SearchAsync(dataset, "picture 17 standing"));

        // Caught up, the triggers index every row again: a small import needs no catching up.
        _core.Get<DatasetImporter>().HoldSearchFrom = int.MaxValue;
        var more = await ImportAsync("zoo-2", 3, i => $"Where does the okapi {i} sleep?");
        Assert.Equal(0, await BacklogAsync());
        Assert.Equal(3, (await SearchAsync(more, "okapi")).Count);
    }

    [Fact]
    public async Task ALiveHold_KeepsTheCatchingUpWaiting_UntilItEnds_OrLapsesAfterAKill()
    {
        // An import killed mid-way: its hold was taken and never released (on PostgreSQL a hold is nothing: it indexes itself).
        await using (var db = await NewDbAsync())
        {
            await db.Database.OpenConnectionAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            await SearchIndex.HoldAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), DateTime.UtcNow, default);
            await tx.CommitAsync();
        }
        _core.Get<DatasetImporter>().HoldSearchFrom = int.MaxValue; // this import takes no hold of its own
        var dataset = await ImportAsync("held", 10, i => $"Count the penguins in photo {i}.");
        Assert.Equal(Sqlite ? 30 : 0, await BacklogAsync()); // written while the index was held: left for later
        Assert.Equal(10, (await SearchAsync(dataset, "penguins")).Count);

        Assert.Equal(0, await _core.Get<SearchIndexer>().CatchUpAsync(default));
        Assert.Equal(Sqlite ? 30 : 0, await BacklogAsync());
        if (!Sqlite) return;

        await using (var db = await NewDbAsync())
            while (await SearchIndex.CatchUpChunkAsync(db, DateTime.UtcNow + SearchIndex.HoldFor + TimeSpan.FromSeconds(1), evenIfHeld: false, default) > 0) { }
        Assert.Equal(0, await BacklogAsync());
        Assert.Equal(10, await MatchesAsync("penguins"));
        await AssertIndexWholeAsync();
    }

    [Fact]
    public async Task DeletingAndRewritingRowsOnBothSidesOfTheMark_KeepsTheIndexWhole()
    {
        _core.Get<DatasetImporter>().HoldSearchFrom = int.MaxValue;
        var indexed = await ImportAsync("before", 5, i => $"Which kite {i} flies highest?");
        _core.Get<DatasetImporter>().HoldSearchFrom = 0;
        var behind = await ImportAsync("after", 5, i => $"Which kite {i} is red?");
        await using (var db = await NewDbAsync())
        {
            // FTS5 deletes by the old text: a row it never held, "deleted" from it, would corrupt it.
            await db.Samples.Where(s => s.DatasetId == indexed && s.Prompt.Contains("kite 0")).ExecuteUpdateAsync(s => s.SetProperty(x => x.Prompt, "Which balloon 0 flies highest?"));
            await db.Samples.Where(s => s.DatasetId == behind && s.Prompt.Contains("kite 0")).ExecuteUpdateAsync(s => s.SetProperty(x => x.Prompt, "Which balloon 0 is red?"));
            await db.Pairs.Where(p => p.Sample!.Prompt.Contains("kite 1")).ExecuteDeleteAsync();
            await db.Responses.Where(r => r.Sample!.Prompt.Contains("kite 1")).ExecuteDeleteAsync();
            await db.Samples.Where(s => s.Prompt.Contains("kite 1")).ExecuteDeleteAsync();
        }
        await _core.Get<SearchIndexer>().CatchUpAsync(default);

        if (Sqlite) await AssertIndexWholeAsync();
        Assert.Equal(3, (await SearchAsync(indexed, "kite")).Count);
        Assert.Equal(3, (await SearchAsync(behind, "kite")).Count);
        Assert.Single(await SearchAsync(indexed, "balloon"));
        Assert.Single(await SearchAsync(behind, "balloon"));
    }

    [Fact]
    public async Task TheQueue_WalkingACommonSearch_ServesTheRowsNotYetIndexed()
    {
        _core.Get<DatasetImporter>().HoldSearchFrom = int.MaxValue;
        var dataset = await ImportAsync("walk", 3, i => $"Is the heron {i} fishing?");
        _core.Get<DatasetImporter>().HoldSearchFrom = 0;
        await ImportAsync("walk", 3, i => $"Is the heron {i + 3} flying?", "walk-2.jsonl");
        Assert.Equal(Sqlite ? 9 : 0, await BacklogAsync());

        var queue = new ReviewQueries(_core.Get<IDbContextFactory<BpoDbContext>>(), TimeProvider.System) { CommonSearchMatches = 1 };
        var reviews = _core.Get<ReviewService>();
        var annotator = TestPrincipals.Reviewer("ann-id", "ann");
        var served = new List<long>();
        while (await queue.NextAsync(dataset, annotator.UserId(), new PairFilter(Search: "heron")) is { } pair)
        {
            served.Add(pair.PairId);
            await reviews.AcceptAsync(pair.PairId, pair.RowVersion, annotator);
        }
        Assert.Equal(6, served.Distinct().Count());
    }

    private async Task<int> ImportAsync(string name, int records, Func<int, string> prompt, string? file = null)
    {
        var path = _files.File(file ?? name + ".jsonl");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, records).Select(i => JsonSerializer.Serialize(new
        {
            id = $"{Path.GetFileNameWithoutExtension(path)}-{i}", prompt = prompt(i),
            completions = new object[] { new { response = $"Yes, number {i} is.", type = "gt" }, new { response = $"No, number {i} is not.", type = "llm-hal" } },
        })));
        await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(path, name, null, ImportFormat.Bpo));
        return await _core.Get<DatasetQueries>().IdByNameAsync(name);
    }

    private async Task<List<long>> SearchAsync(int dataset, string text)
    {
        await using var db = await NewDbAsync();
        return await db.Matching(dataset, new PairFilter(Search: text), null).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
    }

    private async Task<long> BacklogAsync()
    {
        await using var db = await NewDbAsync();
        return await SearchIndex.BacklogAsync(db, default);
    }

    private async Task<int> MatchesAsync(string word)
    {
        await using var db = await NewDbAsync();
        return await db.Database.SqlQuery<int>($"""SELECT count(*) AS "Value" FROM "SampleSearch" WHERE "SampleSearch" MATCH {word}""").SingleAsync();
    }

    /// <summary>FTS5's integrity check, rank 1: the index must hold exactly the tables' rows and texts.</summary>
    private async Task AssertIndexWholeAsync()
    {
        await using var db = await NewDbAsync();
        await db.Database.ExecuteSqlRawAsync("""INSERT INTO "SampleSearch"("SampleSearch", rank) VALUES ('integrity-check', 1)""");
        await db.Database.ExecuteSqlRawAsync("""INSERT INTO "ResponseSearch"("ResponseSearch", rank) VALUES ('integrity-check', 1)""");
        var marks = await db.Database.SqlQuery<long?>($"""SELECT "IndexedThrough" AS "Value" FROM "SearchBacklog" """).ToListAsync();
        Assert.All(marks, Assert.Null); // caught up: the triggers index every row again
    }

    private Task<BpoDbContext> NewDbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}

public class SearchBacklogTestsOnPostgres : SearchBacklogTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>In the web app the indexer runs in the background and is woken when an import ends.</summary>
public sealed class SearchIndexerHostTests
{
    [Fact]
    public async Task TheWebApp_CatchesUpAfterALargeImport_WithoutBeingAsked()
    {
        await using var app = await new BpoAppFactory().StartAsync();
        using var files = new TestDataFolder();
        var importer = app.Services.GetRequiredService<DatasetImporter>();
        importer.HoldSearchFrom = 0;
        var path = files.File("large.jsonl");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, 25).Select(i => JsonSerializer.Serialize(new
        {
            id = $"l{i}", prompt = $"What does the walrus {i} eat?",
            completions = new object[] { new { response = "Clams.", type = "gt" }, new { response = "Grass.", type = "llm-hal" } },
        })));
        await importer.ImportAsync(new ImportRequest(path, "large", null, ImportFormat.Bpo));

        var deadline = DateTime.UtcNow.AddSeconds(5); // woken at once: its own poll comes only every 10 s
        long backlog;
        do
        {
            await using var db = await app.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
            backlog = await SearchIndex.BacklogAsync(db, default);
            if (backlog > 0) await Task.Delay(50);
        }
        while (backlog > 0 && DateTime.UtcNow < deadline);
        Assert.Equal(0, backlog);
    }
}
