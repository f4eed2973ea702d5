using BpoStudio.Core.Data;
using BpoStudio.Core.Feedback;
using BpoStudio.Core.Judging;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Review;

/// <summary>
/// Everything the review page reads for the pair on screen runs once per pair per reviewer, so a plan that scans a table
/// costs a million-pair dataset its whole size per decision. The queries are captured as EF Core runs them and their
/// plans read on the real schema.
/// </summary>
public sealed class ReviewPageQueryPlanTests : IAsyncLifetime
{
    private CoreServices _core = null!;
    private readonly CommandRecorder _commands = new();

    public async Task InitializeAsync() =>
        _core = await CoreServices.StartAsync(services: s => s.ConfigureDbContext<BpoDbContext>(options => options.AddInterceptors(_commands)));

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task ThePairAndItsPanels_AreReadByKey_NeverByScanningATable()
    {
        var datasetId = await _core.SeedDemoAsync();
        var pair = (await _core.Get<ReviewQueue>().ServeAsync(datasetId, TestPrincipals.Annotator))!;

        var commands = _commands;
        commands.Recording = true;
        await _core.Get<ReviewQueries>().LoadAsync(pair.PairId, userId: "someone");
        await _core.Get<ErrorSpanService>().SheetAsync(pair.PairId, TestPrincipals.Annotator);
        await _core.Get<TriageQueries>().FindingsAsync(pair.PairId, TestPrincipals.Annotator);
        await _core.Get<JudgeHints>().ForPairAsync(pair.PairId, TestPrincipals.Annotator);
        await _core.Get<RatingService>().SheetAsync(datasetId, pair.Rejected.Id, TestPrincipals.Annotator);

        commands.Recording = false;
        Assert.True(commands.Captured.Count >= 6, $"{commands.Captured.Count} queries captured");
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        foreach (var (sql, parameters) in commands.Captured)
        {
            await using var explain = SqlCommands.Create(connection, null, "EXPLAIN QUERY PLAN " + sql);
            foreach (var (name, value) in parameters)
            {
                var parameter = explain.CreateParameter();
                (parameter.ParameterName, parameter.Value) = (name, value ?? DBNull.Value);
                explain.Parameters.Add(parameter);
            }
            var plan = new List<string>();
            await using (var reader = await explain.ExecuteReaderAsync())
                while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
            // A scan of a subquery's own few rows (a co-routine or materialised result) is no table scan.
            var subqueries = plan.Select(step => step.Split(' ')).Where(w => w is ["CO-ROUTINE" or "MATERIALIZE", _, ..]).Select(w => w[1]).ToHashSet();
            var scans = plan.Where(step => step.StartsWith("SCAN ") && !subqueries.Contains(step.Split(' ')[1])).ToList();
            Assert.True(scans.Count == 0, $"{sql}\n--\n{string.Join("\n", plan)}");
        }
    }

    // The panels' look-ups check the caller themselves: a signed-out caller, or an account without a review role, is refused.
    [Fact]
    public async Task ThePanelsLookUps_RefuseACallerWithoutAReviewRole()
    {
        var datasetId = await _core.SeedDemoAsync();
        var pair = (await _core.Get<ReviewQueue>().ServeAsync(datasetId, TestPrincipals.Annotator))!;
        foreach (var stranger in new[] { new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity()), TestPrincipals.Of("viewer@example.test", "Viewer") })
        {
            await Assert.ThrowsAsync<BpoStudio.Core.ForbiddenError>(() => _core.Get<TriageQueries>().FindingsAsync(pair.PairId, stranger));
            await Assert.ThrowsAsync<BpoStudio.Core.ForbiddenError>(() => _core.Get<JudgeHints>().ForPairAsync(pair.PairId, stranger));
        }
    }

    /// <summary>The queries EF Core runs while recording, with their parameters.</summary>
    private sealed class CommandRecorder : DbCommandInterceptor
    {
        public bool Recording { get; set; }
        public List<(string Sql, List<(string Name, object? Value)> Parameters)> Captured { get; } = [];

        public override ValueTask<InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(System.Data.Common.DbCommand command, CommandEventData eventData,
            InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (Recording) lock (Captured) Captured.Add((command.CommandText, [.. command.Parameters.Cast<System.Data.Common.DbParameter>().Select(p => (p.ParameterName, (object?)p.Value))]));
            return ValueTask.FromResult(result);
        }
    }
}
