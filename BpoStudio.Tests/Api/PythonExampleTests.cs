using System.Diagnostics;
using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Api;

/// <summary>The README's Python example, run as a user would (python3, standard library only) against a real host.</summary>
public class PythonExampleTests : ApiTestHost
{
    [Fact]
    public async Task ThePipelineExample_PushesMergesFollowsApprovesAndDownloads()
    {
        var examples = Path.Combine(RepositoryRoot(), "examples", "python");
        using var output = new TestDataFolder();
        var zip = output.File("export.zip");
        var start = new ProcessStartInfo("python3", ["pipeline.py", "--url", App.BaseAddress.ToString(), "--dataset-name", "python run", "--out", zip, "--accept-all"])
        {
            WorkingDirectory = examples, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["BPOSTUDIO_TOKEN"] = await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Lead);
        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        var text = await stdout;
        Assert.True(python.ExitCode == 0, $"pipeline.py exited {python.ExitCode}:\n{text}\n{await stderr}");

        Assert.Contains("push 1: {\"imported\": 3, \"samplesPresent\": 0, \"newResponses\": 0", text);
        Assert.Contains("push 1 again: {\"imported\": 0, \"samplesPresent\": 3, \"newResponses\": 0", text);
        Assert.Contains("push 2: {\"imported\": 0, \"samplesPresent\": 3, \"newResponses\": 3", text);
        Assert.Contains("pairs: 6", text);
        Assert.Contains("'train.jsonl'", text);
        Assert.Equal(6, System.IO.Compression.ZipFile.OpenRead(zip).Entries.Single(e => e.FullName == "train.jsonl").Open().ReadLines().Count());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BpoStudio.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("The repository root (with BpoStudio.sln) is not above the test binaries.");
    }
}

internal static class StreamLines
{
    public static IEnumerable<string> ReadLines(this Stream stream)
    {
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line) yield return line;
    }
}
