using System.Text;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Import;

/// <summary>Records that are valid JSON but not valid text, or that no parser should follow: each is rejected alone, with where it is.</summary>
public class HostileRecordTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync();

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    private static string Bpo(string id, string prompt) =>
        $$"""{"id":"{{id}}","prompt":"{{prompt}}","completions":[{"score":1,"response":"A","type":"gt"},{"score":0,"response":"B","type":"llm-hal"}]}""";

    private static string Llava(string id, string question) =>
        $$"""{"id":"{{id}}","conversations":[{"from":"human","value":"{{question}}"},{"from":"gpt","value":"A"}]}""";

    private static string Deep(int depth) => string.Concat(Enumerable.Repeat("[", depth)) + string.Concat(Enumerable.Repeat("]", depth));

    private async Task<ImportSummary> ImportAsync(string name, byte[] content)
    {
        var path = _files.File(name);
        await File.WriteAllBytesAsync(path, content);
        return await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(path, name, null));
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task JsonLines_AnOversizedLine_IsRefusedWithoutHoldingIt_AndTheNextLinesRead()
    {
        var content = Utf8("{\"a\":1}\n" + "{\"x\":\"" + new string('x', 100_000) + "\"}\r\n{\"b\":2}\n" + new string('y', 5_000));
        var lines = new List<(long Line, int Bytes, bool TooLong)>();
        await foreach (var (line, bytes, tooLong) in JsonLines.ReadAsync(new MemoryStream(content), CancellationToken.None, maxLineBytes: 4_096))
            lines.Add((line, bytes.Length, tooLong));

        Assert.Equal([(1L, 7, false), (2L, 0, true), (3L, 7, false), (4L, 0, true)], lines);

        var big = new byte[JsonLines.MaxLineBytes + 10];
        Array.Fill(big, (byte)'z');
        var oversized = await ImportAsync("oversized.jsonl", [.. Utf8(Bpo("a", "fine") + "\n"), .. Utf8("{\"id\":\"big\",\"prompt\":\""), .. big, .. Utf8("\"}\n" + Bpo("c", "after") + "\n")]);
        Assert.Equal(2, oversized.Imported);
        Assert.Equal("line 2", Assert.Single(oversized.Rejected).Where);
        Assert.Contains("longer than 64 MB", oversized.Rejected[0].Reason);
    }

    [Theory]
    [InlineData("{\"id\":\"x\",\"prompt\":\"Q\"", "it ends before every { and [ is closed")]
    [InlineData("{\"id\":\"x\"} {\"id\":\"y\"}", "something follows the record's end ('{')")]
    [InlineData("{id:\"x\"}", "at byte 2: a field name must be in double quotes (found 'i')")]
    [InlineData("{\"id\": x}", "a value cannot start with 'x'")]
    [InlineData("{\"id\":\"x\" \"prompt\":\"Q\"}", "a comma or } is missing after a value")]
    public async Task AMalformedLine_SaysWhatIsWrongAndWhere(string line, string expected)
    {
        var summary = await ImportAsync("malformed.jsonl", Utf8(Bpo("a", "fine") + "\n" + line + "\n"));
        var problem = Assert.Single(summary.Rejected);
        Assert.Equal("line 2", problem.Where);
        Assert.Contains(expected, problem.Reason);
        Assert.StartsWith("not valid JSON at byte", problem.Reason);
    }

    [Fact]
    public async Task JsonLines_LoneSurrogateInvalidUtf8AndDeepNesting_RejectThatLineAlone()
    {
        byte[] content = [.. Utf8(Bpo("a", "fine") + "\n" + Bpo("b", "\\ud800 alone") + "\n"),
            .. Utf8("""{"id":"c","prompt":"bad """), 0xFF, .. Utf8(""" byte","completions":[{"score":1,"response":"A","type":"gt"},{"score":0,"response":"B","type":"llm-hal"}]}""" + "\n"),
            .. Utf8(Bpo("d", "deep")[..^1] + ",\"extra\":" + Deep(70) + "}\n" + Bpo("e", "also fine") + "\n")];

        var summary = await ImportAsync("hostile.jsonl", content);

        Assert.Equal(2, summary.Imported);
        Assert.Equal(["line 2, id b", "line 3", "line 4"], summary.Rejected.Select(r => r.Where));
        Assert.Contains("lone surrogate", summary.Rejected[0].Reason);
        Assert.Contains("not valid UTF-8 (byte 0xFF at position 25)", summary.Rejected[1].Reason);
        Assert.Contains("deeper than 64", summary.Rejected[2].Reason);
    }

    [Fact]
    public async Task JsonArray_ABadRecordIsSkipped_AndTheRecordsAfterItImport()
    {
        byte[] content = [.. Utf8("[\n" + Llava("r0", "fine") + ",\n"),
            .. Utf8("""{"id":"r1","conversations":[{"from":"human","value":"bad """), 0xFF, .. Utf8(""" byte"},{"from":"gpt","value":"A"}]},""" + "\n"),
            .. Utf8(Llava("r2", "deep")[..^1] + ",\"extra\":" + Deep(70) + "},\n"),
            .. Utf8(Llava("r3", "\\udc00 alone") + ",\n"),
            .. Utf8("{\"id\":\"r4\",\"conversations\":[{\"from\":\"human\",\"value\":\"a brace } and a \\\"bracket\\\" [ in text\"},{\"from\":\"gpt\",\"value\":\"A\"}],\"unused\":\"\\ud800\"},\n"),
            .. Utf8(Llava("r5", "also fine") + "\n]")];

        var summary = await ImportAsync("hostile.json", content);

        Assert.Equal(3, summary.Imported); // r0, r4 (brackets inside its text, a lone surrogate only in a field nobody reads) and r5
        Assert.Equal(["record 2 (line 3)", "record 3 (line 4)", "record 4, id r3"], summary.Rejected.Select(r => r.Where));
        Assert.Contains("not valid UTF-8 (byte 0xFF", summary.Rejected[0].Reason);
        Assert.Contains("deeper than 64", summary.Rejected[1].Reason);
        Assert.Contains("lone surrogate", summary.Rejected[2].Reason);
    }

    [Fact]
    public async Task JsonArray_ABadRecordAsTheLastOne_EndsTheArrayCleanly()
    {
        byte[] content = [.. Utf8("[" + Llava("r0", "fine") + ","), .. Utf8("""{"id":"r1","conversations":"x"""), 0xFE, .. Utf8("\"}]")];
        var summary = await ImportAsync("last.json", content);
        Assert.Equal(1, summary.Imported);
        Assert.Equal(["record 2 (line 1)"], summary.Rejected.Select(r => r.Where));
        Assert.Contains("not valid UTF-8 (byte 0xFE", summary.Rejected[0].Reason);
    }
}
