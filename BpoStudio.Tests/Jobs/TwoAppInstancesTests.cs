using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Jobs;

public class TwoAppInstancesTests
{
    [Fact]
    public async Task TwoWebAppsOnLoopback_OneDatabase_TheJobSurvivesKillingItsInstance()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        BpoAppFactory Instance() => new BpoAppFactory().With("BpoStudio:Database", "Postgres").With("ConnectionStrings:BpoStudio", database.ConnectionString)
            .With("Jobs:LeaseSeconds", "2").With("Jobs:PollSeconds", "0.2");
        var a = await Instance().StartAsync();
        try
        {
            var runnerA = a.Services.GetRequiredService<JobRunner>();
            var dbFactory = a.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>();
            int datasetId, samples;
            await using (var db = await dbFactory.CreateDbContextAsync())
                (datasetId, samples) = (await db.Datasets.Select(d => d.Id).SingleAsync(), await db.Samples.CountAsync());

            // Instance A dies right after its first batch: its lease passes to an owner that never renews it.
            var crashed = new TaskCompletionSource();
            using var crash = a.Services.GetRequiredService<JobProgressNotifier>().Subscribe(s =>
            {
                if (s.ItemsDone < GenerationJobHandler.BatchSize || crashed.Task.IsCompleted) return;
                VanishedInstance.TakeLease(dbFactory, s.Id, expiresIn: TimeSpan.FromSeconds(3));
                crashed.TrySetResult();
            });
            var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod(ModelFreeInjection.Method, 2)], 9);
            var job = await a.Services.GetRequiredService<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
            await crashed.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await runnerA.StopAsync(CancellationToken.None);
            Assert.Equal((JobStatus.Running, VanishedInstance.Owner), await StateAsync(dbFactory, job.Id));

            await using var b = await Instance().StartAsync(createUsers: false);
            // Both serve the same data and keys: a sign-in made on B works against A's pages too.
            using (var lead = await b.CreateSignedInClientAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword))
                Assert.Equal(System.Net.HttpStatusCode.OK, (await lead.GetAsync(new Uri(a.BaseAddress, "/export"))).StatusCode);

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await StateAsync(dbFactory, job.Id)).Status != JobStatus.Completed && DateTime.UtcNow < deadline) await Task.Delay(100);

            Assert.Equal((JobStatus.Completed, b.Services.GetRequiredService<JobRunner>().Instance), await StateAsync(dbFactory, job.Id));
            await using var check = await dbFactory.CreateDbContextAsync();
            Assert.Equal(samples, (await check.Jobs.SingleAsync(j => j.Id == job.Id)).ItemsDone);
            var marker = $"\"jobId\":{job.Id}";
            var perSample = await check.Responses.Where(r => r.Provenance.ExtraJson != null && r.Provenance.ExtraJson.Contains(marker))
                .GroupBy(r => r.SampleId).Select(g => g.Count()).ToListAsync();
            Assert.All(perSample, n => Assert.InRange(n, 1, 2)); // nothing ran twice
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    private static async Task<(JobStatus Status, string? Owner)> StateAsync(IDbContextFactory<BpoDbContext> dbFactory, long jobId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
        return (job.Status, job.LeaseOwner);
    }
}
