using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Tests.Infrastructure;
using BpoStudio.Tests.Triage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Datasets;

/// <summary>Search through the full-text index of each provider, over prompts and both answers.</summary>
public class PairSearchTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreServices _core = null!;
    private TriageDataset _data = null!;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _data = await TriageDataset.ImportAsync(_core);
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Theory]
    [InlineData("purple square", new[] { "dup-1", "dup-2" })] // the rejected answer
    [InlineData("PURPLE squ", new[] { "dup-1", "dup-2" })] // any case, the last word a prefix
    [InlineData("sofa", new[] { "identical" })] // both answers
    [InlineData("colour circle", new[] { "clean-2" })] // the prompt
    [InlineData("square yard", new string[0])] // every word must occur
    [InlineData("\"sorry\" -but* (", new[] { "refusal" })] // query syntax is not passed through: the words are sorry and but
    public async Task Search_FindsPairsWhoseTextsHoldEveryWord(string text, string[] records)
    {
        Assert.Equal(records.Select(r => _data.PairByRecord[r]).Order(), await SearchAsync(text));
    }

    [Fact]
    public async Task Search_AsksTheFullTextIndex_NotASubstringScan()
    {
        await using var db = await NewDbAsync();
        var sql = db.Matching(_data.Id, new PairFilter(Search: "purple"), null).ToQueryString();
        Assert.Contains(Provider == DatabaseProvider.Sqlite ? "MATCH" : "to_tsquery", sql);
        Assert.DoesNotContain("LIKE", sql);
    }

    [Fact]
    public async Task Search_OfUnsegmentedScripts_FallsBackToSubstrings()
    {
        await using (var db = await NewDbAsync())
            await db.Responses.Where(r => r.Text == "A red circle is above the blue square.").ExecuteUpdateAsync(s => s.SetProperty(r => r.Text, "红色的圆在蓝色的正方形上面。"));
        Assert.Equal([_data.PairByRecord["clean-1"]], await SearchAsync("正方形"));
        Assert.Empty(await SearchAsync("three squares"));
    }

    private async Task<List<long>> SearchAsync(string text)
    {
        await using var db = await NewDbAsync();
        return await db.Matching(_data.Id, new PairFilter(Search: text), null).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
    }

    private Task<BpoDbContext> NewDbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}

public class PairSearchTestsOnPostgres : PairSearchTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
