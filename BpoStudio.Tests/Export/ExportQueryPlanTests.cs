using BpoStudio.Core.Data;
using BpoStudio.Core.Export;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>
/// Each export worker re-runs its query per range of sample ids; a plan that scans the whole dataset (or sorts) per
/// range turns a million-pair export quadratic, so the plans SQLite picks on the real schema are checked.
/// </summary>
public sealed class ExportQueryPlanTests : IAsyncLifetime
{
    private CoreServices _core = null!;

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Theory]
    [InlineData(ExportSource.DraftSql, "IX_Pairs_SampleId (SampleId>? AND SampleId<?)")]
    [InlineData(ExportSource.VersionItemsOnlySql, "(DatasetVersionId=? AND SampleId>? AND SampleId<?)")]
    public async Task RangeQueries_SeekTheirRangeInSampleOrder_WithoutSorting(string sql, string expectedSearch)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "@id", "@from", "@to" })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = 1L;
            command.Parameters.Add(parameter);
        }
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        Assert.Contains(plan, step => step.Contains(expectedSearch));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE") || step.StartsWith("SCAN"));
    }
}
