using System.Text;
using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Export;
using BpoStudio.Core.Export.Formats;
using BpoStudio.Core.Import;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>
/// Pairs whose texts first differ past the trainer's length limit: S-VCO cuts the whole conversation
/// (<c>cur_input_ids[:, :max_len]</c>), mDPO each answer (<c>v[: self.max_length - self.max_prompt_length]</c>), and both
/// sides then train as the same tokens. Left out when certain, counted when possible, never silently written.
/// </summary>
public class LengthLimitTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    // 8,640 words whose negative differs from word 3,450 on; a short pair; and an image-free long pair differing early.
    private static readonly string LongChosen = Words(8640, "alpha");
    private static readonly string LongRejected = Words(3449, "alpha") + " " + Words(5191, "omega");

    private static string Words(int count, string word) => string.Join(' ', Enumerable.Repeat(word, count));

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        Directory.CreateDirectory(_files.File("images"));
        await File.WriteAllBytesAsync(_files.File("images/a.png"), DemoScene.Generate(5).RenderPng());
        var records = new[]
        {
            new { id = "long", prompt = "Describe everything.", image = "a.png", completions = new object[] { new { score = 1, response = LongChosen, type = "gt" }, new { score = 0, response = LongRejected, type = "llm-hal" } } },
            new { id = "early", prompt = "Describe everything.", image = "a.png", completions = new object[] { new { score = 1, response = LongChosen, type = "gt" }, new { score = 0, response = "omega " + LongChosen, type = "llm-hal" } } },
            new { id = "short", prompt = "What colour?", image = "a.png", completions = new object[] { new { score = 1, response = "Red.", type = "gt" }, new { score = 0, response = "Blue.", type = "llm-hal" } } },
        };
        await File.WriteAllLinesAsync(_files.File("long.jsonl"), records.Select(r => JsonSerializer.Serialize(r)));
        await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File("long.jsonl"), "long", _files.File("images"), ImportFormat.Bpo, "test"));
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        foreach (var pair in await db.Pairs.AsNoTracking().ToListAsync())
            await _core.Get<ReviewService>().AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Theory]
    [InlineData(ExportFormat.Svco, null, 1, 0)]
    [InlineData(ExportFormat.Mdpo, null, 1, 0)]
    // mDPO keeps 8,192 of each answer's tokens at 16,384: 3,449 shared words no longer certainly reach it, but their
    // bytes (up to one token each) might.
    [InlineData(ExportFormat.Mdpo, 16384, 0, 1)]
    public async Task APairThatDiffersOnlyPastTheLimit_IsLeftOutWithItsReason_OrCountedWhenItMayBe(ExportFormat format, int? maxLength, int leftOut, int possibly)
    {
        var runner = _core.Get<ExportRunner>();
        var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(1, null, format, MaxLength: maxLength), "lead"), _files.File($"out-{format}-{maxLength}"));
        var skipped = result.Manifest.Skipped.Where(s => s.Reason.Contains("first differ past")).ToList();
        Assert.Equal(leftOut, skipped.Count);
        Assert.Equal(3 - leftOut, result.Manifest.Counts.Pairs);
        Assert.Equal(possibly, result.Manifest.Counts.PairsPossiblyCutAlike);
        Assert.Equal(maxLength ?? 2048, result.Manifest.Counts.MaxLength);
        if (leftOut > 0) Assert.Contains($"cuts at {maxLength ?? 2048} tokens", skipped[0].Reason);
    }

    [Fact]
    public void TheBounds_CountWholeSharedWordsOnly_AndAnImagePairsEqualTextsNeverCut()
    {
        static (int, int) Common(string a, string b) => LengthLimit.CommonPrefix(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
        Assert.Equal((1, 2), Common("a b", "a c"));
        Assert.Equal((1, 3), Common("a bc", "a bd")); // "bc" and "bd" may share no token
        Assert.Equal((2, 3), Common("a b", "a b c"));
        Assert.Equal((1, 3), Common("a b", "a bc"));
        var text = Encoding.UTF8.GetBytes(LongChosen);
        Assert.Equal(CutAlike.No, LengthLimit.WholeSequence("Q"u8, 1, text, text, 16));
        Assert.Equal(CutAlike.No, LengthLimit.PromptThenAnswers("Q"u8, text, text, 16));
        Assert.Equal(CutAlike.Certainly, LengthLimit.WholeSequence("Q"u8, 1, text, Encoding.UTF8.GetBytes(LongRejected), 2048));
        Assert.Equal(CutAlike.No, LengthLimit.WholeSequence("Q"u8, 1, "Red."u8, "Blue."u8, 2048));
        Assert.Contains("--max-length applies to mdpo, svco", Assert.ThrowsAny<ArgumentException>(() => new ExportOptions(1, null, ExportFormat.Trl, MaxLength: 4096).Validate()).Message);
    }
}
