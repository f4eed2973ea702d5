using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Jobs;

public class LlmGenerationJobTests
{
    [Fact]
    public async Task LlmInjectionAndParaphrase_AddResponsesWithProvenanceAndPairs()
    {
        var counter = 0;
        await using var server = await ScriptedChatServer.StartAsync();
        server.Fallback = _ => $"A rewritten answer number {Interlocked.Increment(ref counter)}.";
        await using var core = await CoreServices.StartAsync(s =>
        {
            s["Generation:OpenAI:BaseUrl"] = server.BaseUrl;
            s["Generation:OpenAI:Model"] = "tiny-llm";
        });
        var datasetId = await core.SeedDemoAsync();
        await using var before = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var samples = await before.Samples.CountAsync();
        var pairsBefore = await before.Pairs.CountAsync();

        var parameters = new GenerationParameters(datasetId, SampleFilter.All,
            [new GenerationMethod(LlmBackend.InjectionMethod), new GenerationMethod(LlmBackend.ParaphraseMethod)], Seed: 9);
        var job = await core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.Validated(core.Get<LlmBackend>().AvailableMethods).ToJson(), TestPrincipals.Lead);
        var tokensPerSecond = 0.0;
        using (core.Get<JobProgressNotifier>().Subscribe(s => tokensPerSecond = Math.Max(tokensPerSecond, s.TokensPerSecond)))
            await core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        Assert.True(tokensPerSecond > 0, "progress reports tokens/s while a model runs");

        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(JobStatus.Completed, (await db.Jobs.SingleAsync(j => j.Id == job.Id)).Status);
        var injected = await db.Responses.Where(r => r.Provenance.Method == LlmBackend.InjectionMethod).ToListAsync();
        var paraphrased = await db.Responses.Where(r => r.Provenance.Method == LlmBackend.ParaphraseMethod).ToListAsync();
        Assert.Equal(samples, injected.Count);
        Assert.Equal(samples, paraphrased.Count);
        Assert.All(injected, r => Assert.Equal((ResponseKind.LlmHal, "tiny-llm"), (r.Kind, r.Provenance.Model)));
        Assert.All(paraphrased, r => Assert.Equal(ResponseKind.GtRephrased, r.Kind));
        Assert.All(injected, r => Assert.StartsWith("openai-compatible (127.0.0.1:", r.Provenance.ExecutionProvider));
        Assert.Equal(2 * samples, server.Requests.Count);
        // Per sample: the paraphrase against the 2 old and 1 new negatives, and the ground truth against the new one.
        Assert.Equal(pairsBefore + 4 * samples, await db.Pairs.CountAsync());
    }

    [Fact]
    public async Task LlmMethods_AreRefused_WhenNoBackendIsConfigured()
    {
        await using var core = await CoreServices.StartAsync();
        // Without any model: model-free injection and the image pairs, which need no model either.
        Assert.Equal([ModelFreeInjection.Method, .. ImagePairs.Methods], core.Get<LlmBackend>().AvailableMethods);
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            new GenerationParameters(1, SampleFilter.All, [new GenerationMethod(LlmBackend.InjectionMethod)]).Validated(core.Get<LlmBackend>().AvailableMethods));
        Assert.Contains("not configured", error.Message);
    }
}
