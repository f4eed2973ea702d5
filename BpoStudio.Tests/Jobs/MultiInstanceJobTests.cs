using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Jobs;

/// <summary>Two app instances on one PostgreSQL database, each with its own job runner, as behind a load balancer.</summary>
public class MultiInstanceJobTests : IAsyncLifetime
{
    private static readonly Action<Dictionary<string, string?>> FastLeases = s => { s["Jobs:LeaseSeconds"] = "2"; s["Jobs:PollSeconds"] = "0.1"; };
    private CoreServices _a = null!, _b = null!;
    private int _datasetId, _samples;

    public async Task InitializeAsync()
    {
        _a = await CoreServices.StartAsync(FastLeases, provider: DatabaseProvider.Postgres);
        _b = await CoreServices.StartAsync(s =>
        {
            FastLeases(s);
            s["BpoStudio:Database"] = "Postgres";
            s["ConnectionStrings:BpoStudio"] = _a.PostgresConnectionString;
        });
        _datasetId = await _a.SeedDemoAsync();
        await using var db = await DbAsync();
        _samples = await db.Samples.CountAsync();
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    [Fact]
    public async Task BothRunnersRunning_TheJobRunsExactlyOnce()
    {
        using var hosts = new CancellationTokenSource();
        await _a.Get<JobRunner>().StartAsync(hosts.Token);
        await _b.Get<JobRunner>().StartAsync(hosts.Token);
        var job = await LaunchAsync(_a, count: 2);

        var done = await WaitForAsync(job.Id, JobStatus.Completed);
        await hosts.CancelAsync();

        Assert.Contains(done.LeaseOwner, new[] { _a.Get<JobRunner>().Instance, _b.Get<JobRunner>().Instance });
        var perSample = await NegativesPerSampleAsync(job.Id);
        Assert.All(perSample, n => Assert.InRange(n, 1, 2)); // two asked for; more would mean it ran twice
        Assert.True(perSample.Count >= _samples - done.ItemsFailed);
    }

    [Fact]
    public async Task AJobRunningOnAnotherInstance_ReachesThisInstancesProgressSubscribers()
    {
        await using (var db = await DbAsync())
        {
            db.Jobs.Add(new Job
            {
                Kind = JobKind.Generate, DatasetId = _datasetId, ParametersJson = "{}", Status = JobStatus.Running, ItemsTotal = 139, ItemsDone = 42,
                LeaseOwner = "elsewhere:1:abc", LeaseExpiresAt = DateTime.UtcNow.AddMinutes(5), CreatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        var seen = new TaskCompletionSource<JobSnapshot>();
        using var watch = _b.Get<JobProgressNotifier>().Subscribe(s => { if (s.ItemsDone == 42) seen.TrySetResult(s); });
        using var hosts = new CancellationTokenSource();

        await _b.Get<JobRunner>().StartAsync(hosts.Token);
        var snapshot = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await hosts.CancelAsync();

        Assert.Equal((JobStatus.Running, 139L), (snapshot.Status, snapshot.ItemsTotal));
        await using var check = await DbAsync();
        Assert.Equal("elsewhere:1:abc", (await check.Jobs.SingleAsync()).LeaseOwner); // watched, not taken: its lease is alive
    }

    [Fact]
    public async Task KillingTheRunningInstance_AnotherTakesOverAfterTheLease_WithoutDuplicates()
    {
        using var hosts = new CancellationTokenSource();
        var a = _a.Get<JobRunner>();
        var dbFactory = _a.Get<IDbContextFactory<BpoDbContext>>();
        // The instance "dies" right after committing its first batch: its lease passes to an owner that never renews it.
        var died = new TaskCompletionSource();
        using var crash = _a.Get<JobProgressNotifier>().Subscribe(s =>
        {
            if (s.ItemsDone < GenerationJobHandler.BatchSize || died.Task.IsCompleted) return;
            VanishedInstance.TakeLease(dbFactory, s.Id, expiresIn: TimeSpan.FromSeconds(3));
            died.TrySetResult();
        });
        await a.StartAsync(hosts.Token);
        var job = await LaunchAsync(_a, count: 2);
        await died.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await a.StopAsync(CancellationToken.None);
        var stranded = await JobAsync(job.Id);
        Assert.Equal((JobStatus.Running, VanishedInstance.Owner), (stranded.Status, stranded.LeaseOwner)); // as after a kill: nothing overwrote it

        await _b.Get<JobRunner>().StartAsync(hosts.Token);
        var done = await WaitForAsync(job.Id, JobStatus.Completed);
        await hosts.CancelAsync();

        Assert.Equal(_b.Get<JobRunner>().Instance, done.LeaseOwner);
        Assert.Equal(_samples, done.ItemsDone);
        var perSample = await NegativesPerSampleAsync(job.Id);
        Assert.All(perSample, n => Assert.InRange(n, 1, 2)); // never more than asked for: no batch ran twice
        Assert.True(perSample.Count >= _samples - done.ItemsFailed, "every sample without a recorded failure got its negatives");
    }

    private async Task<Job> LaunchAsync(CoreServices instance, int count) =>
        await instance.Get<JobService>().CreateAsync(JobKind.Generate, _datasetId,
            new GenerationParameters(_datasetId, SampleFilter.All, [new GenerationMethod(ModelFreeInjection.Method, count)], 5).ToJson(), TestPrincipals.Lead);

    private async Task<List<int>> NegativesPerSampleAsync(long jobId)
    {
        await using var db = await DbAsync();
        var marker = $"\"jobId\":{jobId}";
        return await db.Responses.Where(r => r.Provenance.ExtraJson != null && r.Provenance.ExtraJson.Contains(marker))
            .GroupBy(r => r.SampleId).Select(g => g.Count()).ToListAsync();
    }

    private async Task<Job> WaitForAsync(long jobId, JobStatus status)
    {
        await WaitUntilAsync(async () => (await JobAsync(jobId)).Status == status);
        return await JobAsync(jobId);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The jobs did not get there within 60 s.");
            await Task.Delay(100);
        }
    }

    private async Task<Job> JobAsync(long id)
    {
        await using var db = await DbAsync();
        return await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
    }

    private async Task<BpoDbContext> DbAsync() => await _a.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}
