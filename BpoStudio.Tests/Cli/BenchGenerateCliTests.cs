using System.Text.Json;
using BpoStudio.Cli;

namespace BpoStudio.Tests.Cli;

public class BenchGenerateCliTests
{
    [Fact]
    public async Task BenchGenerateTiny_RunsTheRealLoopAndReportsEveryFigure()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "generate", "--size", "tiny", "--prompt", "16", "--tokens", "8", "--json"], output));

        using var json = JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var r = json.RootElement;
        Assert.Equal(("tiny", "CPU", 8), (r.GetProperty("size").GetString(), r.GetProperty("provider").GetString(), r.GetProperty("decodeTokens").GetInt32()));
        foreach (var figure in new[] { "prefillTokensPerSecond", "decodeTokensPerSecond", "rawStepsPerSecond", "bandwidthGigabytesPerSecond", "bandwidthBoundTokensPerSecond" })
            Assert.True(r.GetProperty(figure).GetDouble() > 0, figure);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("meetsTargets").ValueKind);

        var error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["bench", "generate", "--size", "huge"], TextWriter.Null, error));
        Assert.Contains("--size must be smollm2-135m or tiny", error.ToString());
    }
}
