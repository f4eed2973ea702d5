using System.Text.Json;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Generation;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace BpoStudio.Tests.Generation;

public class LocalModelIntegrationTests : IAsyncLifetime
{
    private readonly TestDataFolder _models = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        var folder = _models.File("tiny-vlm");
        SyntheticModels.WriteSmolVlmFolder(folder, new SyntheticModelSize(), seed: 5);
        // Random weights may say eos at once; keep answers a few tokens long for the assertions.
        var manifest = ModelManifest.Load(folder) with { EosTokenIds = [], Search = new SearchDefaults(MaxNewTokens: 6, Temperature: 0.8f, TopP: 0.95f) };
        File.WriteAllText(Path.Combine(folder, ModelManifest.FileName), JsonSerializer.Serialize(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        Directory.CreateDirectory(_models.File("broken"));
        _core = await CoreServices.StartAsync(settings =>
        {
            settings["Generation:Local:ModelsDirectory"] = _models.Path;
            settings["Generation:Local:VisionModel"] = "tiny-vlm";
            settings["Generation:Local:TextModel"] = "tiny-vlm";
        });
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _models.Dispose();
    }

    [Fact]
    public void Catalog_ListsModelFolders_WithTheirProblems()
    {
        var models = _core.Get<LocalModelCatalog>().List();
        Assert.Equal(["broken", "tiny-vlm"], models.Select(m => m.Name));
        Assert.Contains("has no config.json", models[0].Problem);
        Assert.Equal(2, models[1].Manifest!.Layers);
        var methods = _core.Get<LlmBackend>().AvailableMethods;
        Assert.Contains("weakened-image:diffusion-noise", methods);
        Assert.Contains(LlmBackend.InjectionMethod, methods); // the local text model stands in for a server
    }

    [Fact]
    public async Task Answer_StreamsTheDecodedTokensOfTheEngine_ForAnImage()
    {
        var model = _core.Get<LocalModelCatalog>().Open("tiny-vlm");
        var image = BpoStudio.Core.Datasets.Demo.DemoScene.Generate(4).RenderPng();
        var settings = new SamplingSettings(MaxNewTokens: 6);

        var chunks = new List<AnswerChunk>();
        await foreach (var chunk in model.AnswerAsync("What is the shape?", image, settings)) chunks.Add(chunk);

        var prompt = model.Encode(model.BuildPrompt("What is the shape?", withImage: true)).Select(i => (long)i).ToArray();
        Assert.Equal(4, prompt.Count(id => id == model.Manifest.ImageTokenId));
        var ids = new List<int>();
        await foreach (var token in model.Generator.GenerateAsync(prompt, model.Generator.EncodeImages(model.Preprocess(image), 1), settings)) ids.Add(token.Id);
        Assert.Equal(model.Decode(ids), string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(6, chunks[^1].Tokens);
    }

    [Fact]
    public async Task TextModel_IsAChatClient_AndASemanticKernelChatService()
    {
        var model = _core.Get<LocalModelCatalog>().Open("tiny-vlm");
        IChatClient client = new LocalChatClient(model);
        var direct = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "is the cat red?")], new ChatOptions { MaxOutputTokens = 5, Temperature = 0 });
        Assert.Equal(5, direct.Usage!.OutputTokenCount);
        Assert.False(string.IsNullOrEmpty(direct.Text));

        var service = client.AsChatCompletionService();
        var history = new ChatHistory();
        history.AddUserMessage("is the cat red?");
        var reply = await service.GetChatMessageContentAsync(history, new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["max_tokens"] = 5, ["temperature"] = 0 } });
        Assert.Equal(direct.Text, reply.Content);
    }

    [Fact]
    public async Task WeakenedImageJob_AddsMllmNegativesFromTheLocalVlm_WithFullProvenance()
    {
        var datasetId = await _core.SeedDemoAsync();
        var parameters = new GenerationParameters(datasetId, SampleFilter.Selection, [new GenerationMethod("weakened-image:diffusion-noise")], Seed: 11, SampleIds: [1, 2, 3])
            .Validated(_core.Get<LlmBackend>().AvailableMethods);
        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);

        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(JobStatus.Completed, (await db.Jobs.SingleAsync(j => j.Id == job.Id)).Status);
        var made = await db.Responses.Include(r => r.Sample).Where(r => r.Provenance.Method == "weakened-image:diffusion-noise").ToListAsync();
        Assert.Equal(3, made.Count);
        var madeIds = made.Select(r => r.Id).ToList();
        Assert.Equal(3, await db.PairFindings.CountAsync(f => f.CheckId == BpoStudio.Core.Triage.Checks.CheckIds.Truncated
            && db.Pairs.Any(p => p.Id == f.PairId && madeIds.Contains(p.RejectedResponseId)))); // checked as the job committed them
        var store = _core.Get<ImageStore>();
        Assert.All(made, r =>
        {
            Assert.Equal(ResponseKind.MllmHal, r.Kind);
            Assert.Equal(("tiny-vlm", "CPU"), (r.Provenance.Model, r.Provenance.ExecutionProvider));
            Assert.NotNull(r.Provenance.Seed);
            Assert.True(store.Exists(r.Provenance.WeakenedImageHash!));
            Assert.Contains("\"stopReason\":\"max-tokens\"", r.Provenance.ExtraJson); // this model has no end-of-sequence token
            Assert.NotEqual(r.Sample!.ImageHash, r.Provenance.WeakenedImageHash);
            Assert.Contains("diffusion-noise", r.Provenance.ParametersJson);
        });
        Assert.Equal(3, await db.Pairs.CountAsync(p => made.Select(m => m.Id).Contains(p.RejectedResponseId)));
    }

    [Fact]
    public async Task WeakenedImageJob_OnASampleWithSeveralImages_ShowsTheModelEveryImage_TheChosenOneWeakened()
    {
        var datasetId = await _core.SeedDemoAsync();
        var dbFactory = _core.Get<IDbContextFactory<BpoDbContext>>();
        Sample sample;
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            var two = await db.Samples.Where(s => s.DatasetId == datasetId).OrderBy(s => s.Id).Take(2).ToListAsync();
            (sample = two[0]).MoreImageHashes = [two[1].ImageHash!];
            await db.SaveChangesAsync();
        }
        var parameters = new GenerationParameters(datasetId, SampleFilter.Selection, [new GenerationMethod("weakened-image:pixelate")], Seed: 4, SampleIds: [sample.Id], WeakenImage: 2)
            .Validated(_core.Get<LlmBackend>().AvailableMethods);
        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var check = await dbFactory.CreateDbContextAsync();
        var made = await check.Responses.SingleAsync(r => r.SampleId == sample.Id && r.Provenance.Method == "weakened-image:pixelate");
        Assert.Equal(1, made.Provenance.WeakenedImageIndex);
        Assert.Contains("\"scope\":{\"image\":2,\"of\":2}", made.Provenance.ParametersJson);
        // The answer is the engine's for both tiles, the first image as it is and the second weakened, in that order.
        var model = _core.Get<LocalModelCatalog>().Open("tiny-vlm");
        var store = _core.Get<ImageStore>();
        var pixels = model.Preprocess(await store.ReadAsync(sample.ImageHash!)).Concat(model.Preprocess(await store.ReadAsync(made.Provenance.WeakenedImageHash!))).ToArray();
        var prompt = model.Encode(model.BuildPrompt(sample.Prompt, images: 2)).Select(i => (long)i).ToArray();
        Assert.Equal(2 * model.Manifest.ImageTokens, prompt.Count(id => id == model.Manifest.ImageTokenId));
        var search = model.Manifest.Search;
        var settings = new SamplingSettings(search.Temperature, search.TopK, search.TopP, search.RepetitionPenalty, made.Provenance.Seed!.Value, search.MaxNewTokens);
        var ids = new List<int>();
        await foreach (var token in model.Generator.GenerateAsync(prompt, model.Generator.EncodeImages(pixels, 2), settings)) ids.Add(token.Id);
        Assert.Equal(model.Decode(ids).Trim(), made.Text);
    }

    [Fact]
    public async Task ABatchedJob_MakesExactlyTheNegativesOfAnUnbatchedOne()
    {
        await using var one = await WithBatchSizeAsync(1);
        await using var five = await WithBatchSizeAsync(5);
        // The cache in the provider's memory, rows moved by its gather graph: the path a GPU takes.
        await using var onProvider = await WithBatchSizeAsync(5, kvCache: "Provider");
        Assert.Equal(KvCacheHome.Provider, onProvider.Get<LocalModelCatalog>().Open("tiny-vlm").Generator.CacheHome);

        var unbatched = await NegativesAsync(one);
        var together = await NegativesAsync(five);

        Assert.True(unbatched.Count >= 20, $"only {unbatched.Count} negatives");
        Assert.Equal(unbatched, together);
        Assert.Equal(unbatched, await NegativesAsync(onProvider));
    }

    [Fact]
    public async Task ABatchedJob_StoppedMidBatch_ResumesWithoutDuplicatesOrLoss()
    {
        await using var core = await WithBatchSizeAsync(4);
        var datasetId = await core.SeedDemoAsync();
        var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod("weakened-image:pixelate")], Seed: 5)
            .Validated(core.Get<LlmBackend>().AvailableMethods);
        var job = await core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        using var host = new CancellationTokenSource();
        // The first chunk commits; the host stops while the second is being decoded.
        using (core.Get<JobProgressNotifier>().Subscribe(s => { if (s.Id == job.Id && s.ItemsDone >= GenerationJobHandler.BatchSize) host.Cancel(); }))
            await core.Get<JobRunner>().RunJobAsync(job.Id, host.Token);
        await using (var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal((JobStatus.Interrupted, (long)GenerationJobHandler.BatchSize), await db.Jobs.Where(j => j.Id == job.Id).Select(j => new ValueTuple<JobStatus, long>(j.Status, j.ItemsDone)).SingleAsync());
            Assert.Equal(GenerationJobHandler.BatchSize, await db.Responses.CountAsync(r => r.Provenance.Method == "weakened-image:pixelate"));
        }

        await core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var check = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var samples = await check.Samples.CountAsync(s => s.DatasetId == datasetId);
        Assert.True(samples > GenerationJobHandler.BatchSize, "the demo should span two chunks");
        Assert.Equal(JobStatus.Completed, (await check.Jobs.SingleAsync(j => j.Id == job.Id)).Status);
        var perSample = await check.Responses.Where(r => r.Provenance.Method == "weakened-image:pixelate").GroupBy(r => r.SampleId).Select(g => g.Count()).ToListAsync();
        Assert.Equal(samples, perSample.Count);
        Assert.All(perSample, count => Assert.Equal(1, count));
    }

    private Task<CoreServices> WithBatchSizeAsync(int size, string? kvCache = null) => CoreServices.StartAsync(settings =>
    {
        if (kvCache is not null) settings["Generation:Local:KvCache"] = kvCache;
        settings["Generation:Local:ModelsDirectory"] = _models.Path;
        settings["Generation:Local:VisionModel"] = "tiny-vlm";
        settings["Generation:Local:BatchSize"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
    });

    // (sample, seed, text, weakened image) of every weakened-image negative a two-per-sample job over the demo made.
    private static async Task<List<string>> NegativesAsync(CoreServices core)
    {
        var datasetId = await core.SeedDemoAsync();
        var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod("weakened-image:random-mask", Count: 2)], Seed: 3)
            .Validated(core.Get<LlmBackend>().AvailableMethods);
        var job = await core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(JobStatus.Completed, (await db.Jobs.SingleAsync(j => j.Id == job.Id)).Status);
        var made = await db.Responses.Where(r => r.Provenance.Method == "weakened-image:random-mask").OrderBy(r => r.SampleId).ThenBy(r => r.Provenance.Seed)
            .Select(r => new { r.SampleId, r.Provenance.Seed, r.Text, r.Provenance.WeakenedImageHash, r.Provenance.ExtraJson }).ToListAsync();
        Assert.All(made, r => Assert.Contains("\"stopReason\":", r.ExtraJson));
        return [.. made.Select(r => $"{r.SampleId} {r.Seed} {r.WeakenedImageHash} {r.Text}")];
    }
}
