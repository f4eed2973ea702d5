using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Export;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>A LLaVA conversation's later turns are exported with the turns before them, in every format that can hold them.</summary>
public class ConversationHistoryTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;
    private int _datasetId;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        Directory.CreateDirectory(_files.File("images"));
        await File.WriteAllBytesAsync(_files.File("images/bus.png"), DemoScene.Generate(3).RenderPng());
        static object Turns(params string[] values) => values.Select((v, i) => new { from = i % 2 == 0 ? "human" : "gpt", value = v }).ToArray();
        await File.WriteAllTextAsync(_files.File("chat.json"), JsonSerializer.Serialize(new object[]
        {
            new { id = "bus", image = "bus.png", conversations = Turns("<image>\nWhat colour is the bus?", "The bus is yellow.", "Where is it parked?", "By the kerb.", "How many wheels?", "Six wheels, <video> shows it.") },
            new { id = "chat", conversations = Turns("Hello?", "Hi there.", "What next?", "Nothing next.") },
        }));
        var summary = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File("chat.json"), "chat", _files.File("images")));
        Assert.Equal(5, summary.Imported);
        _datasetId = (await _core.Get<DatasetQueries>().ListAsync()).Single(d => d.Name == "chat").Id;

        // One accepted negative per turn.
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        foreach (var gt in await db.Responses.Where(r => r.Kind == ResponseKind.Gt).ToListAsync())
        {
            var negative = new Response { SampleId = gt.SampleId, Text = "Wrong: " + gt.Text.Replace("<video>", "video"), Kind = ResponseKind.LlmHal, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "test" } };
            db.Responses.Add(negative);
            await db.SaveChangesAsync();
            db.Pairs.Add(new PreferencePair { DatasetId = _datasetId, SampleId = gt.SampleId, ChosenResponseId = gt.Id, RejectedResponseId = negative.Id, Status = PairStatus.Accepted });
        }
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    private async Task<(ExportResult Result, List<JsonElement> Lines)> ExportAsync(ExportFormat format, ExportContext context = ExportContext.Full)
    {
        var runner = _core.Get<ExportRunner>();
        var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, null, format, Context: context), "lead"), _files.File($"out-{format}-{context}"));
        var lines = File.ReadLines(Path.Combine(result.Folder, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (result, lines);
    }

    private static JsonElement Last(JsonElement array) => array[array.GetArrayLength() - 1];

    private static string Text(JsonElement message) =>
        message.GetProperty("content").ValueKind == JsonValueKind.String ? message.GetProperty("content").GetString()!
            : string.Concat(message.GetProperty("content").EnumerateArray().Where(p => p.GetProperty("type").GetString() == "text").Select(p => p.GetProperty("text").GetString()));

    private static int ImageParts(JsonElement message, string type) =>
        message.GetProperty("content").ValueKind == JsonValueKind.String ? 0 : message.GetProperty("content").EnumerateArray().Count(p => p.GetProperty("type").GetString() == type);

    [Fact]
    public async Task Trl_ALaterTurnsPromptIsTheConversationSoFar_WithTheImageInTheFirstUserMessage()
    {
        var (result, lines) = await ExportAsync(ExportFormat.Trl);
        Assert.Equal(5, TrainerLoaderChecks.Trl(result.Folder, "train.jsonl"));

        var third = lines.Single(l => Text(Last(l.GetProperty("prompt"))) == "How many wheels?").GetProperty("prompt").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user", "assistant", "user"], third.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(["What colour is the bus?", "The bus is yellow.", "Where is it parked?", "By the kerb.", "How many wheels?"], third.Select(Text));
        Assert.Equal([1, 0, 0, 0, 0], third.Select(m => ImageParts(m, "image")));
        var chatSecond = lines.Single(l => Text(Last(l.GetProperty("prompt"))) == "What next?");
        Assert.Equal(["Hello?", "Hi there.", "What next?"], chatSecond.GetProperty("prompt").EnumerateArray().Select(Text));
        Assert.Empty(chatSecond.GetProperty("images").EnumerateArray());
        Assert.Equal(3, result.Manifest.Counts.PairsWithHistory);
    }

    [Fact]
    public async Task LlamaFactory_ConversationsHoldTheHistory_AndAVideoTagInAnAnswerIsLeftOut()
    {
        var (result, lines) = await ExportAsync(ExportFormat.LlamaFactory);
        Assert.Equal(4, TrainerLoaderChecks.LlamaFactory(result.Folder, "train.jsonl"));

        var second = lines.Single(l => Last(l.GetProperty("conversations")).GetProperty("value").GetString() == "Where is it parked?");
        var turns = second.GetProperty("conversations").EnumerateArray().Select(t => (t.GetProperty("from").GetString(), t.GetProperty("value").GetString())).ToList();
        Assert.Equal([("human", "<image>\nWhat colour is the bus?"), ("gpt", "The bus is yellow."), ("human", "Where is it parked?")], turns);
        var skipped = Assert.Single(result.Manifest.Skipped);
        Assert.Contains("<video>", skipped.Reason);
        Assert.Contains("LLaMA-Factory", skipped.Reason);
    }

    [Fact]
    public async Task OpenAi_InputMessagesHoldTheHistory_WithTheImageInTheFirstUserMessage()
    {
        var (result, lines) = await ExportAsync(ExportFormat.OpenAi);
        Assert.Equal(5, TrainerLoaderChecks.OpenAi(result.Folder, "train.jsonl"));
        var third = lines.Single(l => Text(Last(l.GetProperty("input").GetProperty("messages"))) == "How many wheels?").GetProperty("input").GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user", "assistant", "user"], third.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal([1, 0, 0, 0, 0], third.Select(m => ImageParts(m, "image_url")));
    }

    [Fact]
    public async Task Bpo_SaysThatLaterTurnsLoseTheirHistory_AndContextNoneWritesQuestionsAlone()
    {
        var (bpo, _) = await ExportAsync(ExportFormat.Bpo);
        Assert.Equal((0, 2), (bpo.Manifest.Counts.PairsWithHistory, bpo.Manifest.Counts.PairsWithoutTheirHistory)); // the bus's two later turns; the text-only chat is left out of BPO
        Assert.Contains("WITHOUT the turns before them", await File.ReadAllTextAsync(Path.Combine(bpo.Folder, "README.md")));

        var (none, lines) = await ExportAsync(ExportFormat.Trl, ExportContext.None);
        var third = lines.Single(l => Text(Last(l.GetProperty("prompt"))) == "How many wheels?").GetProperty("prompt");
        Assert.Equal(1, third.GetArrayLength());
        Assert.Equal(1, ImageParts(third[0], "image")); // alone, the question carries the image itself
        Assert.Equal(3, none.Manifest.Counts.PairsWithoutTheirHistory);
    }
}

public class ConversationHistoryTestsOnPostgres : ConversationHistoryTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
