using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Infrastructure;
using BpoStudio.Tests.Triage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Datasets;

/// <summary>Search through the full-text index of each provider, over prompts and both answers.</summary>
public class PairSearchTests : TriageDatasetTests
{

    [Theory]
    [InlineData("purple square", new[] { "dup-1", "dup-2" })] // the rejected answer
    [InlineData("PURPLE squ", new[] { "dup-1", "dup-2" })] // any case, the last word a prefix
    [InlineData("sofa", new[] { "identical" })] // both answers
    [InlineData("colour circle", new[] { "clean-2" })] // the prompt
    [InlineData("square yard", new string[0])] // every word must occur
    [InlineData("\"sorry\" -but* (", new[] { "refusal" })] // query syntax is not passed through: the words are sorry and but
    public async Task Search_FindsPairsWhoseTextsHoldEveryWord(string text, string[] records)
    {
        Assert.Equal(records.Select(r => Data.PairByRecord[r]).Order(), await SearchAsync(text));
    }

    [Fact]
    public async Task Search_AsksTheFullTextIndex_NotASubstringScan()
    {
        await using var db = await NewDbAsync();
        var sql = db.Matching(Data.Id, new PairFilter(Search: "purple"), null).ToQueryString();
        Assert.Contains(Provider == DatabaseProvider.Sqlite ? "MATCH" : "to_tsquery", sql);
        // SQLite reads by substring only the rows a large import left for the index to catch up on (SearchBacklogTests).
        var likes = sql.Split("LIKE").Length - 1;
        Assert.True(Provider == DatabaseProvider.Sqlite ? likes > 0 : likes == 0, sql);
        Assert.Equal(likes, sql.Split("""WHERE "Id" > (SELECT "IndexedThrough" FROM "SearchBacklog" """).Length - 1);
    }

    [Fact]
    public async Task Search_OfUnsegmentedScripts_FallsBackToSubstrings()
    {
        await using (var db = await NewDbAsync())
            await db.Responses.Where(r => r.Text == "A red circle is above the blue square.").ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, "红色的圆在蓝色的正方形上面。"));
        Assert.Equal([Data.PairByRecord["clean-1"]], await SearchAsync("正方形"));
        Assert.Empty(await SearchAsync("three squares"));
    }

    [Fact]
    public async Task Search_ForPercentOrUnderscore_MatchesThoseCharacters_NotEverything()
    {
        Assert.Empty(await SearchAsync("%"));
        Assert.Empty(await SearchAsync("_"));
        await using (var db = await NewDbAsync())
            await db.Responses.Where(r => r.Text == "A red circle is above the blue square.").ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, "Circle 50%_off?"));
        Assert.Equal([Data.PairByRecord["clean-1"]], await SearchAsync("%_"));
        Assert.Equal([Data.PairByRecord["clean-1"]], await SearchAsync("%"));
    }

    [Theory]
    [InlineData("purple square", true)]
    [InlineData("PURPLE squ", true)]
    [InlineData("sofa", true)]
    [InlineData("colour circle", true)]
    [InlineData("square yard", false)]
    [InlineData("\"sorry\" -but* (", true)]
    [InlineData("café crè", true)]
    [InlineData("cafe", false)] // SQLite's index folds diacritics and PostgreSQL's does not: each provider's own answer either way
    [InlineData("正方形", true)]
    public async Task AHandfulOfPairs_AreMatchedAsTheIndexMatchesThem(string text, bool anyMatch)
    {
        await using var db = await NewDbAsync();
        await db.Responses.Where(r => r.Text == "A red circle is above the blue square.").ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, "Un café crème; 红色的圆在蓝色的正方形上面。"));
        var all = await db.Pairs.Where(p => p.DatasetId == Data.Id).Select(p => p.Id).ToListAsync();

        var byIndex = await SearchAsync(text);
        Assert.Equal(byIndex, await PairSearch.MatchingFewAsync(db, all, text, CancellationToken.None));
        Assert.Equal(anyMatch || (text == "cafe" && Provider == DatabaseProvider.Sqlite), byIndex.Count > 0);
        // Again on the same connection, inside a transaction, over a part: the table is emptied between uses.
        await using var tx = await db.Database.BeginTransactionAsync();
        var part = all.Where((_, i) => i % 2 == 0).ToList();
        Assert.Equal(byIndex.Intersect(part), await PairSearch.MatchingFewAsync(db, part, text, CancellationToken.None));
    }

    [Theory]
    [InlineData("purple square")]
    [InlineData("sofa")]
    [InlineData("colour circle")]
    [InlineData("square yard")]
    [InlineData("正方形")]
    public async Task ListingsMatchASearchAsTheFilterDoes_ByTextIdsOnPostgres(string text)
    {
        await using var db = await NewDbAsync();
        var query = await db.MatchingAsync(Data.Id, new PairFilter(Search: text), null, CancellationToken.None);
        Assert.Equal(await SearchAsync(text), await query.OrderBy(p => p.Id).Select(p => p.Id).ToListAsync());
        var sql = query.ToQueryString();
        if (Provider == DatabaseProvider.Postgres && text != "正方形") Assert.DoesNotContain("to_tsquery", sql); // the ids the search resolved to
        else Assert.Contains(text == "正方形" ? "LIKE" : "MATCH", sql);
    }

    [Fact]
    public async Task TheQueue_ServesACommonSearchByWalkingTheIndex_SkippingDecidedPairs()
    {
        // Every search counts as common here, so the queue takes the index-walking path SQLite uses for words most pairs hold.
        var queue = new BpoStudio.Core.Review.ReviewQueries(Core.Get<IDbContextFactory<BpoDbContext>>(), TimeProvider.System) { CommonSearchMatches = 1 };
        var reviews = Core.Get<BpoStudio.Core.Review.ReviewService>();
        var annotator = TestPrincipals.Reviewer("ann-id", "ann");
        var served = new List<long>();
        while (await queue.NextAsync(Data.Id, annotator.UserId(), new PairFilter(Search: "square")) is { } pair)
        {
            served.Add(pair.PairId);
            await reviews.AcceptAsync(pair.PairId, pair.RowVersion, annotator);
        }
        Assert.Equal((await SearchAsync("square")).Order(), served.Order());
        Assert.Null(await queue.NextAsync(Data.Id, annotator.UserId(), new PairFilter(Search: "square")));
        Assert.Null(await queue.NextAsync(Data.Id, annotator.UserId(), new PairFilter(Search: "nothing-like-it")));
    }

    [Theory]
    [InlineData(256, 20_000)] // "square" is among the first pending pairs: matched pair by pair on PostgreSQL
    [InlineData(0, 20_000)] // not probed: its texts fetched and matched by id
    [InlineData(0, 1)] // more texts than the cap: pair by pair
    public async Task TheQueue_ServesEveryMatchInOrder_HoweverTheSearchIsMatched(int probePairs, int cap)
    {
        var queue = new BpoStudio.Core.Review.ReviewQueries(Core.Get<IDbContextFactory<BpoDbContext>>(), TimeProvider.System) { SearchProbePairs = probePairs, CommonSearchMatches = cap };
        foreach (var text in new[] { "square", "PURPLE squ", "colour circle", "square yard" })
        {
            var served = new List<long>();
            while (await queue.NextAsync(Data.Id, "ann-id", new PairFilter(Search: text), skipped: served) is { } pair) served.Add(pair.PairId);
            Assert.Equal(await SearchAsync(text), served);
        }
    }

    [Fact]
    public async Task OnPostgres_ASearchIsResolvedByTextIds_OnlyWhenRareAndNotInTheQueuesFront()
    {
        await using var db = await NewDbAsync();
        var probed = await PairSearch.ResolveOnPostgresAsync(db, Data.Id, "square", probePairs: 256, cap: 100, default);
        var rare = await PairSearch.ResolveOnPostgresAsync(db, Data.Id, "square", probePairs: 0, cap: 100, default);
        var many = await PairSearch.ResolveOnPostgresAsync(db, Data.Id, "square", probePairs: 0, cap: 1, default);
        if (Provider == DatabaseProvider.Sqlite)
        {
            Assert.All(new[] { probed, rare, many }, Assert.Null); // SQLite's queue walks its own index
            return;
        }
        Assert.Null(probed!.ResponseIds);
        Assert.Null(many!.ResponseIds);
        var squares = await db.Responses.Where(r => r.Text.Contains("square")).Select(r => r.Id).OrderBy(id => id).ToListAsync();
        Assert.Equal(squares, rare!.ResponseIds!.Order());
        var prompts = await db.Samples.Where(x => x.DatasetId == Data.Id && x.Prompt.Contains("square")).Select(x => x.Id).OrderBy(id => id).ToListAsync();
        Assert.NotEmpty(prompts);
        Assert.Equal(prompts, rare.SampleIds!.Order());
        Assert.Null(await PairSearch.ResolveOnPostgresAsync(db, Data.Id, "正方形", 256, 100, default)); // unsegmented: the substring scan
    }

    private async Task<List<long>> SearchAsync(string text)
    {
        await using var db = await NewDbAsync();
        return await db.Matching(Data.Id, new PairFilter(Search: text), null).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
    }

}

public class PairSearchTestsOnPostgres : PairSearchTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
