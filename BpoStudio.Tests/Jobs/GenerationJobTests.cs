using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Jobs;

public class GenerationJobTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreServices _core = null!;
    private int _datasetId;
    private int _samples;

    private JobService Jobs => _core.Get<JobService>();
    private JobRunner Runner => _core.Get<JobRunner>();

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
        await using var db = await NewDbAsync();
        _samples = await db.Samples.CountAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task ModelFreeJob_AddsNegativesWithProvenanceAndPairs()
    {
        var job = await LaunchAsync(count: 1);
        await Runner.RunJobAsync(job.Id, CancellationToken.None);

        await using var db = await NewDbAsync();
        var done = await db.Jobs.SingleAsync(j => j.Id == job.Id);
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal(_samples, done.ItemsTotal);
        Assert.Equal(_samples, done.ItemsDone);
        var generated = await GeneratedByAsync(db, job.Id);
        Assert.Equal(_samples - done.ItemsFailed, generated.Count);
        Assert.All(generated, r => Assert.Equal(ModelFreeInjection.Method, r.Provenance.Method));
        Assert.All(generated, r => Assert.NotNull(r.Provenance.Seed));
        var ids = generated.Select(r => r.Id).ToList();
        Assert.Equal(generated.Count, await db.Pairs.CountAsync(p => ids.Contains(p.RejectedResponseId)));
    }

    [Fact]
    public async Task InterruptedJob_ResumesAfterCrashWithoutDuplicatesOrLoss()
    {
        var job = await LaunchAsync(count: 2);
        using var host = new CancellationTokenSource();
        // Stop the "process" as soon as the first batch has committed.
        using (_core.Get<JobProgressNotifier>().Subscribe(s => { if (s.Id == job.Id && s.ItemsDone >= GenerationJobHandler.BatchSize) host.Cancel(); }))
            await Runner.RunJobAsync(job.Id, host.Token);

        await using (var db = await NewDbAsync())
        {
            var stopped = await db.Jobs.SingleAsync(j => j.Id == job.Id);
            Assert.Equal(JobStatus.Interrupted, stopped.Status);
            Assert.Equal(GenerationJobHandler.BatchSize, stopped.ItemsDone);
            Assert.Equal(GenerationJobHandler.BatchSize * 2 - stopped.ItemsFailed * 2, (await GeneratedByAsync(db, job.Id)).Count);
            // A hard crash leaves the row as "running": recovery must treat it as interrupted.
            await db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Running));
        }

        await Runner.RecoverAsync(CancellationToken.None);
        await Runner.RunJobAsync(job.Id, CancellationToken.None);

        await using var check = await NewDbAsync();
        var finished = await check.Jobs.SingleAsync(j => j.Id == job.Id);
        Assert.Equal(JobStatus.Completed, finished.Status);
        Assert.Equal(_samples, finished.ItemsDone);
        var generated = await GeneratedByAsync(check, job.Id);
        Assert.Equal(generated.Count, generated.Select(r => (r.SampleId, r.Text)).Distinct().Count());
        var perSample = generated.GroupBy(r => r.SampleId).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(perSample.Values.All(c => c <= 2), "no sample got more than the two negatives asked for");
        Assert.Equal(_samples - finished.ItemsFailed, perSample.Count);
    }

    [Fact]
    public async Task SameSeed_ReproducesTheSameNegatives()
    {
        var first = await LaunchAsync(count: 1, seed: 77);
        await Runner.RunJobAsync(first.Id, CancellationToken.None);
        await using var other = await CoreServices.StartAsync();
        await other.SeedDemoAsync();
        var second = await other.Get<JobService>().CreateAsync(JobKind.Generate, _datasetId, Parameters(1, 77).ToJson(), TestPrincipals.Lead);
        await other.Get<JobRunner>().RunJobAsync(second.Id, CancellationToken.None);

        await using var a = await NewDbAsync();
        await using var b = await other.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal((await GeneratedByAsync(a, first.Id)).Select(r => r.Text), (await GeneratedByAsync(b, second.Id)).Select(r => r.Text));
    }

    [Fact]
    public async Task PausedJobDoesNotRun_ResumeFinishesIt_CancelledStaysCancelled()
    {
        var job = await LaunchAsync(count: 1);
        await Jobs.PauseAsync(job.Id, TestPrincipals.Lead);
        await Runner.RunJobAsync(job.Id, CancellationToken.None);
        await using (var db = await NewDbAsync())
        {
            var paused = await db.Jobs.Where(j => j.Id == job.Id).Select(j => new { j.Status, j.ItemsDone }).SingleAsync();
            Assert.Equal((JobStatus.Paused, 0L), (paused.Status, paused.ItemsDone));
        }

        await Jobs.ResumeAsync(job.Id, TestPrincipals.Lead);
        await Runner.RunJobAsync(job.Id, CancellationToken.None);
        var cancelled = await LaunchAsync(count: 1);
        await Jobs.CancelAsync(cancelled.Id, TestPrincipals.Lead);
        await Runner.RunJobAsync(cancelled.Id, CancellationToken.None);

        await using var check = await NewDbAsync();
        Assert.Equal(JobStatus.Completed, (await check.Jobs.SingleAsync(j => j.Id == job.Id)).Status);
        Assert.Equal(JobStatus.Cancelled, (await check.Jobs.SingleAsync(j => j.Id == cancelled.Id)).Status);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Jobs.ResumeAsync(job.Id, TestPrincipals.Lead));
    }

    [Fact]
    public async Task WithoutNegativesFilter_SkipsSamplesThatHaveThem()
    {
        var job = await Jobs.CreateAsync(JobKind.Generate, _datasetId, (Parameters(1, 0) with { Filter = SampleFilter.WithoutNegatives }).ToJson(), TestPrincipals.Lead);
        await Runner.RunJobAsync(job.Id, CancellationToken.None);
        await using var db = await NewDbAsync();
        var finished = await db.Jobs.Where(j => j.Id == job.Id).Select(j => new { j.Status, j.ItemsTotal }).SingleAsync();
        Assert.Equal((JobStatus.Completed, 0L), (finished.Status, finished.ItemsTotal));
    }

    [Fact]
    public async Task SelectionFilter_GeneratesOnlyForTheChosenSamples()
    {
        var job = await Jobs.CreateAsync(JobKind.Generate, _datasetId, (Parameters(1, 0) with { Filter = SampleFilter.Selection, SampleIds = [3, 5, 8] }).ToJson(), TestPrincipals.Lead);
        await Runner.RunJobAsync(job.Id, CancellationToken.None);
        await using var db = await NewDbAsync();
        Assert.Equal([3L, 5L, 8L], (await GeneratedByAsync(db, job.Id)).Select(r => r.SampleId).Order());
        Assert.ThrowsAny<ArgumentException>(() => (Parameters(1, 0) with { Filter = SampleFilter.Selection }).Validated([ModelFreeInjection.Method]));
    }

    [Theory]
    [InlineData("""{"datasetId":1,"filter":"all","methods":[{"method":"mllm-weakened-image","count":1}]}""", "needs a model backend")]
    [InlineData("""{"datasetId":1,"filter":"all","methods":[]}""", "at least one")]
    [InlineData("""{"datasetId":1,"filter":"all","methods":[{"method":"model-free-injection","count":99}]}""", "1-20")]
    [InlineData("""{"datasetId":1,""", "not valid JSON")]
    public void BadParameters_AreRefusedWithReason(string json, string reason)
    {
        Assert.Contains(reason, Assert.ThrowsAny<ArgumentException>(() => GenerationParameters.Parse(json, [ModelFreeInjection.Method])).Message);
    }

    private GenerationParameters Parameters(int count, long seed) =>
        new(_datasetId, SampleFilter.All, [new GenerationMethod(ModelFreeInjection.Method, count)], seed);

    private Task<Job> LaunchAsync(int count, long seed = 0) =>
        Jobs.CreateAsync(JobKind.Generate, _datasetId, Parameters(count, seed).ToJson(), TestPrincipals.Lead);

    private static Task<List<Response>> GeneratedByAsync(BpoDbContext db, long jobId) =>
        db.Responses.Where(r => r.Provenance.ExtraJson == $"{{\"jobId\":{jobId}}}").OrderBy(r => r.Id).ToListAsync();

    private Task<BpoDbContext> NewDbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}
