using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Approval;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Cli;

/// <summary>The CLI reaches what only pages reached: datasets, versions and jobs, through the same services.</summary>
public class WorkflowCliTests
{
    [Fact]
    public async Task DatasetsVersionsAndJobs_FromTheCommandLine()
    {
        using var data = new TestDataFolder();
        string[] Args(params string[] args) => [.. args, $"--BpoStudio:DataDirectory={data.Path}", "--BpoStudio:SeedDemo=false"];
        async Task<string> RunAsync(int expected, params string[] args)
        {
            var (output, error) = (new StringWriter(), new StringWriter());
            var code = await CliApp.RunAsync(Args(args), output, error);
            Assert.True(code == expected, $"{string.Join(' ', args)} exited {code}: {error}");
            return output + error.ToString();
        }

        await RunAsync(0, "seed-demo");
        var made = await RunAsync(0, "datasets", "create", "scripted", "--description", "from a script");
        Assert.Contains("'scripted'", made);
        Assert.Contains("There is a dataset named 'scripted' already", await RunAsync(1, "datasets", "create", "scripted"));
        using (var list = JsonDocument.Parse(await RunAsync(0, "datasets", "list", "--json")))
            Assert.Equal(["Demo shapes", "scripted"], list.RootElement.EnumerateArray().Select(d => d.GetProperty("name").GetString()).Order());

        using (var drawn = JsonDocument.Parse(await RunAsync(0, "spot-check", "draw", "--dataset", "Demo shapes", "--size", "12", "--seed", "5", "--json")))
        {
            Assert.Equal(12, drawn.RootElement.GetProperty("strata").EnumerateArray().Sum(s => s.GetProperty("sampled").GetInt32()));
            var id = drawn.RootElement.GetProperty("check").GetProperty("id").GetInt64().ToString();
            Assert.Contains($"Spot check {id}: 12 pairs", await RunAsync(0, "spot-check", "status", id));
            var stratum = drawn.RootElement.GetProperty("strata")[0].GetProperty("stratum").GetString()!;
            Assert.Contains("reviewed pairs accepted, lower bound", await RunAsync(1, "spot-check", "accept-rest", id, "--stratum", stratum));
        }
        Assert.Contains("--size is required", await RunAsync(2, "spot-check", "draw", "--dataset", "Demo shapes"));

        Assert.Contains("has no accepted pairs", await RunAsync(1, "versions", "approve", "--dataset", "Demo shapes"));
        await RunAsync(0, "review", "bulk", "--dataset", "Demo shapes", "--decision", "accept", "--method", "model-free-injection");
        using (var approved = JsonDocument.Parse(await RunAsync(0, "versions", "approve", "--dataset", "Demo shapes", "--notes", "cli", "--json")))
            Assert.Equal(1, approved.RootElement.GetProperty("number").GetInt32());
        Assert.Contains("v1\t", await RunAsync(0, "versions", "list", "--dataset", "Demo shapes"));
        Assert.Contains("Nothing changed since version 1", await RunAsync(1, "versions", "approve", "--dataset", "Demo shapes"));
        Assert.Matches(@"v1 -> v1: 0 added, 0 removed, 0 changed, [\d,]+ unchanged", await RunAsync(0, "versions", "compare", "--dataset", "Demo shapes", "--from", "1", "--to", "1"));
        Assert.Contains("has no version 9", await RunAsync(1, "versions", "compare", "--dataset", "Demo shapes", "--from", "1", "--to", "9"));
        await RunAsync(0, "versions", "deprecate", "--dataset", "Demo shapes", "--version", "1", "--reason", "superseded");
        using (var versions = JsonDocument.Parse(await RunAsync(0, "versions", "list", "--dataset", "Demo shapes", "--json")))
            Assert.True(versions.RootElement[0].GetProperty("deprecated").GetBoolean());
        Assert.Contains("There is no dataset 'nope'", await RunAsync(1, "versions", "list", "--dataset", "nope"));

        await RunAsync(0, "export", "--dataset", "Demo shapes", "--draft", "--format", "trl", "--out", data.File("out"));
        var jobs = await RunAsync(0, "jobs", "list");
        Assert.Contains("\tExport\tCompleted\t", jobs);
        var jobId = jobs.Split('\t')[0];
        Assert.Contains($"Job {jobId} (Export): Completed", await RunAsync(0, "jobs", "show", jobId));
        Assert.Contains("has already finished", await RunAsync(1, "jobs", "cancel", jobId));
        Assert.Contains("unknown sub-command", await RunAsync(2, "jobs", "frobnicate"));
    }
}
