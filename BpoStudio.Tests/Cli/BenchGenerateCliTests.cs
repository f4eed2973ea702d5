using System.Text.Json;
using BpoStudio.Cli;

namespace BpoStudio.Tests.Cli;

public class BenchGenerateCliTests
{
    [Fact]
    public async Task BenchGenerateTiny_RunsTheRealLoopAndReportsEveryFigure()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "generate", "--size", "tiny", "--prompt", "16", "--tokens", "8", "--batch", "4,1", "--json"], output));

        using var json = JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var r = json.RootElement;
        Assert.Equal(("tiny", "CPU", 8), (r.GetProperty("size").GetString(), r.GetProperty("provider").GetString(), r.GetProperty("decodeTokens").GetInt32()));
        foreach (var figure in new[] { "prefillTokensPerSecond", "decodeTokensPerSecond", "rawStepsPerSecond", "bandwidthGigabytesPerSecond", "bandwidthBoundTokensPerSecond" })
            Assert.True(r.GetProperty(figure).GetDouble() > 0, figure);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("meetsTargets").ValueKind);
        var batches = r.GetProperty("batches").EnumerateArray().ToList();
        Assert.Equal([1, 4], batches.Select(b => b.GetProperty("batchSize").GetInt32()));
        Assert.Equal(JsonValueKind.Null, batches[0].GetProperty("ratioToBatch1").ValueKind);
        Assert.True(batches[1].GetProperty("ratioToBatch1").GetDouble() > 0);
        Assert.Contains(r.GetProperty("providerNotes").EnumerateArray(), n => n.GetString()!.StartsWith("CUDA", StringComparison.Ordinal));
        Assert.Equal("host memory", r.GetProperty("kvCache").GetString());

        var onProvider = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "generate", "--size", "tiny", "--prompt", "8", "--tokens", "4", "--batch", "2", "--kv-cache", "provider"], onProvider));
        Assert.Contains("KV cache in CPU provider memory, rows moved by a gather graph", onProvider.ToString());

        var error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["bench", "generate", "--size", "huge"], TextWriter.Null, error));
        Assert.Contains("--size must be smollm2-135m or tiny", error.ToString());
        Assert.Equal(2, await CliApp.RunAsync(["bench", "generate", "--size", "tiny", "--batch", "1,zero"], TextWriter.Null, error));
        Assert.Contains("--batch must be a positive whole number, not 'zero'", error.ToString());
        Assert.Equal(2, await CliApp.RunAsync(["bench", "generate", "--size", "tiny", "--kv-cache", "gpu"], TextWriter.Null, error));
        Assert.Contains("--kv-cache must be host or provider, not 'gpu'", error.ToString());
    }
}
