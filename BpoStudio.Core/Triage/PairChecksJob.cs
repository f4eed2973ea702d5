using System.Security.Claims;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Triage;

public sealed record PairChecksJobParameters(int DatasetId);

/// <summary>Runs the pair checks over an existing dataset as a durable job: a chunk per transaction with its cursor, so it resumes where it stopped.</summary>
public sealed class PairChecksJobHandler(PairChecker checker, IDbContextFactory<BpoDbContext> dbFactory) : IJobHandler
{
    public JobKind Kind => JobKind.Checks;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = JsonSerializer.Deserialize<PairChecksJobParameters>(context.ParametersJson) ?? throw new InvalidDataException("The checks job has no parameters.");
        if (context.ResumeCursor is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await context.SetTotalAsync(await db.Pairs.LongCountAsync(p => p.DatasetId == parameters.DatasetId, ct), ct);
        }
        long previous = 0;
        // The lead who started the job was checked when it started; it runs in their name.
        await checker.RecomputeAsync(parameters.DatasetId, ActorChecks.OnBehalfOf(context.CreatedBy, Roles.Lead), context.ResumeCursor ?? 0, async (db, cursor, done) =>
        {
            await context.AddProgressAsync(db, cursor, (int)(done - previous), 0, ct);
            previous = done;
        }, ct);
        context.Publish();
    }
}

/// <summary>Starting a checks job, for leads.</summary>
public sealed class PairChecksJobs(JobService jobs)
{
    public async Task<Job> StartAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("run the pair checks");
        return await jobs.CreateAsync(JobKind.Checks, datasetId, JsonSerializer.Serialize(new PairChecksJobParameters(datasetId)), actor, ct);
    }
}
