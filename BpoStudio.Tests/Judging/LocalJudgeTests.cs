using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Generation;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Judging;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel.ChatCompletion;

namespace BpoStudio.Tests.Judging;

/// <summary>
/// With no judge server, the local vision model judges: a graph built here in C# with random weights (no weights can
/// be downloaded), so its replies are not verdicts and must be recorded as unparsable, never guessed.
/// </summary>
public class LocalJudgeTests : IAsyncLifetime
{
    private readonly TestDataFolder _models = new();
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync()
    {
        var folder = _models.File("tiny-vlm");
        SyntheticModels.WriteSmolVlmFolder(folder, new SyntheticModelSize(), seed: 5);
        var manifest = ModelManifest.Load(folder) with { EosTokenIds = [] };
        File.WriteAllText(Path.Combine(folder, ModelManifest.FileName), JsonSerializer.Serialize(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        _core = await CoreServices.StartAsync(settings =>
        {
            settings["Generation:Local:ModelsDirectory"] = _models.Path;
            settings["Generation:Local:VisionModel"] = "tiny-vlm";
            settings["Judge:OpenAI:MaxTokens"] = "6";
            settings["Judge:OpenAI:RetriesPerUnparsable"] = "0";
        });
        await JudgeTestData.ImportAsync(_core, _files, "buses", right: 2, wrong: 1);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _models.Dispose();
        _files.Dispose();
    }

    [Fact]
    public async Task WithoutAServer_TheLocalVisionModelJudges_AndItsNonVerdictsAreRecordedAsUnparsable()
    {
        var server = _core.Get<JudgeServer>();
        Assert.Equal(("tiny-vlm", 1), (server.Client!.Model, server.MaxConcurrency));
        var job = await _core.Get<JudgeJobs>().StartAsync(new JudgeParameters(1), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        var done = (await _core.Get<JobService>().GetAsync(job.Id))!;
        Assert.Equal((JobStatus.Completed, 3L, 3L), (done.Status, done.ItemsTotal, done.ItemsDone + done.ItemsFailed));
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var scores = await db.PairScores.AsNoTracking().Where(s => s.Scorer.StartsWith("judge:")).ToListAsync(); // besides the data's own (data:score)
        Assert.Equal(3, scores.Count);
        Assert.All(scores, s => Assert.True(s.Scorer == "judge:tiny-vlm" && s.SawImage && s.Votes + s.Unparsable == 2 && (s.Votes > 0 || s.PreferChosen is null)));
    }

    [Fact]
    public async Task ABrokenLocalModelFolder_IsSaidWhereTheJudgeIsMissing_InsteadOfFailingEveryPageThatAsks()
    {
        Directory.CreateDirectory(_models.File("broken"));
        await using var core = await CoreServices.StartAsync(settings =>
        {
            settings["Generation:Local:ModelsDirectory"] = _models.Path;
            settings["Generation:Local:VisionModel"] = "broken";
        });
        var server = core.Get<JudgeServer>();
        Assert.Null(server.Client);
        Assert.Contains("the local vision model 'broken' (Generation:Local:VisionModel) could not be opened", server.Unavailable);
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => core.Get<JudgeJobs>().DryRunAsync(new JudgeParameters(1), TestPrincipals.Lead));
        Assert.Contains("could not be opened", refused.Message);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => core.Get<ScoreService>().ScorersAsync(1, TestPrincipals.Annotator));
    }

    [Fact]
    public async Task TheLocalChatClient_GivesTheUsersImageToTheModel()
    {
        var model = _core.Get<LocalModelCatalog>().Open("tiny-vlm");
        var client = new LocalChatClient(model);
        var png = await File.ReadAllBytesAsync(_files.File("images/bus.png"));
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 6, Seed = 1 };
        var withImage = await client.GetResponseAsync([new ChatMessage(ChatRole.User, [new DataContent(png, "image/png"), new TextContent("What colour is the bus?")])], options);
        var textOnly = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What colour is the bus?")], options);
        Assert.NotEqual(textOnly.Text, withImage.Text); // the image's tokens change what the model reads

        // The judge asks through Semantic Kernel (an ImageContent in the chat history): the image gets through that bridge too.
        var chat = client.AsChatCompletionService();
        var settings = new Microsoft.SemanticKernel.PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["temperature"] = 0, ["max_tokens"] = 6, ["seed"] = 1 } };
        var history = new Microsoft.SemanticKernel.ChatCompletion.ChatHistory();
        history.AddUserMessage([new Microsoft.SemanticKernel.ImageContent(png, "image/png"), new Microsoft.SemanticKernel.TextContent("What colour is the bus?")]);
        var viaKernel = await chat.GetChatMessageContentAsync(history, settings);
        Assert.Equal(withImage.Text, viaKernel.Content);
    }
}
