using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Injection;

public class RemoteVisionTests : IAsyncLifetime
{
    private ScriptedChatServer _server = null!;
    private CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        _server = await ScriptedChatServer.StartAsync();
        _server.Fallback = request => "A blurry grey dog sits on a sofa.";
        _core = await CoreServices.StartAsync(s =>
        {
            s["Generation:OpenAI:BaseUrl"] = _server.BaseUrl;
            s["Generation:OpenAI:Model"] = "served-vlm";
            s["Generation:OpenAI:Vision"] = "true";
            s["Generation:OpenAI:MaxConcurrency"] = "2";
        });
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task WeakenedImageJob_SendsTheWeakenedImageAsAnImageUrl_AndRecordsTheServer()
    {
        var datasetId = await _core.SeedDemoAsync();
        var parameters = new GenerationParameters(datasetId, SampleFilter.Selection, [new GenerationMethod("weakened-image:gaussian-blur")], 3, [1, 2])
            .Validated(_core.Get<LlmBackend>().AvailableMethods);
        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);

        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var made = await db.Responses.Where(r => r.Provenance.Method == "weakened-image:gaussian-blur").ToListAsync();
        Assert.Equal(2, made.Count);
        Assert.All(made, r => Assert.Equal((ResponseKind.MllmHal, "served-vlm"), (r.Kind, r.Provenance.Model)));
        Assert.All(made, r => Assert.StartsWith("openai-compatible (127.0.0.1", r.Provenance.ExecutionProvider));
        var parts = _server.Requests.First()["messages"]!.AsArray().Last()!["content"]!.AsArray();
        Assert.Contains(parts, p => p!["type"]!.GetValue<string>() == "image_url" && p["image_url"]!["url"]!.GetValue<string>().StartsWith("data:image/png;base64,", StringComparison.Ordinal));
        Assert.Contains(parts, p => p!["type"]!.GetValue<string>() == "text");
    }

    [Fact]
    public async Task OnASampleWithSeveralImages_EveryImageIsSentInOrder_OnlyTheChosenOneWeakened()
    {
        var datasetId = await _core.SeedDemoAsync();
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var two = await db.Samples.Where(s => s.DatasetId == datasetId).OrderBy(s => s.Id).Take(2).ToListAsync();
            two[0].MoreImageHashes = [two[1].ImageHash!];
            await db.SaveChangesAsync();
        }
        var parameters = new GenerationParameters(datasetId, SampleFilter.Selection, [new GenerationMethod("weakened-image:gaussian-blur")], 3, [1], WeakenImage: 1)
            .Validated(_core.Get<LlmBackend>().AvailableMethods);
        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        var urls = _server.Requests.Single()["messages"]!.AsArray().Last()!["content"]!.AsArray()
            .Where(p => p!["type"]!.GetValue<string>() == "image_url").Select(p => p!["image_url"]!["url"]!.GetValue<string>()).ToList();
        await using var check = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var made = await check.Responses.SingleAsync(r => r.Provenance.Method == "weakened-image:gaussian-blur");
        var sample = await check.Samples.SingleAsync(s => s.Id == 1);
        var store = _core.Get<BpoStudio.Core.Storage.ImageStore>();
        Assert.Equal(0, made.Provenance.WeakenedImageIndex);
        // The weakened first image (a PNG), then the second as stored, with its own type.
        Assert.Equal(2, urls.Count);
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(await store.ReadAsync(made.Provenance.WeakenedImageHash!)), urls[0]);
        var secondBytes = await store.ReadAsync(sample.MoreImageHashes![0]);
        Assert.EndsWith(Convert.ToBase64String(secondBytes), urls[1]);
        Assert.StartsWith($"data:{BpoStudio.Core.Imaging.ImageDecoding.ReadHeader(secondBytes).ContentType};base64,", urls[1]);
    }

    [Fact]
    public async Task Calls_AreLimitedInConcurrency_AndRetriedWhenTheServerIsBusy()
    {
        var vision = _core.Get<RemoteVision>();
        var png = DemoScene.Generate(2).RenderPng();
        _server.Delay = TimeSpan.FromMilliseconds(200);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => vision.AnswerAsync("What is it?", [png], i, CancellationToken.None)));

        Assert.All(answers, a => Assert.Equal("A blurry grey dog sits on a sofa.", a.Text));
        Assert.InRange(_server.MaxInFlight, 1, 2);

        _server.Delay = TimeSpan.Zero;
        var before = _server.Requests.Count;
        _server.FailNext(2); // MaxAttempts is 3: two 503s are backed off from, the third call answers
        var answer = await vision.AnswerAsync("What is it?", [png], 9, CancellationToken.None);
        Assert.Equal("A blurry grey dog sits on a sofa.", answer.Text);
        Assert.Equal(3, _server.Requests.Count - before);

        _server.FailNext(3);
        var error = await Assert.ThrowsAsync<Microsoft.SemanticKernel.HttpOperationException>(() => vision.AnswerAsync("What is it?", [png], 10, CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.StatusCode);
    }
}
