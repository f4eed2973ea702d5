using BpoStudio.Core.Data;
using BpoStudio.Core.Triage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Triage;

/// <summary>
/// The checks run once per import or generation batch over that batch's range; a plan that reads the whole dataset
/// per batch turns a million-pair import quadratic (it did, through the dataset/status index), so the plans are checked.
/// </summary>
public sealed class PairCheckerQueryPlanTests : IAsyncLifetime
{
    private CoreServices _core = null!;

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Theory]
    [InlineData(true, "IX_Pairs_SampleId (SampleId>? AND SampleId<?)")]
    [InlineData(false, "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")]
    public async Task TheRangeRead_SeeksItsRange(bool bySampleId, string expectedSearch)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = SqlCommands.Create(connection, null, "EXPLAIN QUERY PLAN " + PairChecker.ReadSql(bySampleId), ("dataset", 1), ("low", 1L), ("high", 2L));
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        Assert.Contains(plan, step => step.Contains(expectedSearch));
        Assert.DoesNotContain(plan, step => step.Contains("DatasetId_Status"));
    }
}
