using BpoStudio.Cli;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Cli;

public class CliTests
{
    [Fact]
    public async Task HelpListsEveryVerb()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["--help"], output));
        foreach (var verb in CliApp.Verbs) Assert.Contains(verb.Name, output.ToString());
        var export = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["export", "--help"], export));
        foreach (var format in BpoStudio.Core.Export.ExportFormats.All) Assert.Contains(BpoStudio.Core.Export.ExportFormats.WireName(format), export.ToString());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("Review")]
    public async Task AnUnknownVerb_ExitsWithUsage_InsteadOfStartingTheWebApp(string verb)
    {
        Assert.True(CliApp.IsCommand([verb, "--json"]));
        var error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync([verb], TextWriter.Null, error));
        Assert.Contains($"unknown verb '{verb}'", error.ToString());
        Assert.Contains("review", error.ToString()); // the verbs are listed
    }

    [Theory]
    [InlineData("")]
    [InlineData("--urls http://127.0.0.1:5099")]
    [InlineData("--BpoStudio:DataDirectory=/tmp/x")]
    public void ConfigurationArgumentsAlone_StartTheWebApp(string args) =>
        Assert.False(CliApp.IsCommand(args.Split(' ', StringSplitOptions.RemoveEmptyEntries)));

    [Fact]
    public async Task UsersAdd_CreatesUserWithGeneratedPassword_ThenListsIt()
    {
        using var data = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={data.Path}";
        var output = new StringWriter();

        Assert.Equal(0, await CliApp.RunAsync(["users", "add", "ann@example.test", "--role", "Annotator", "--role", "lead", config], output));
        Assert.Contains("Added ann@example.test (Lead, Annotator)", output.ToString());
        Assert.Matches(@"Password \(shown once\): \S{24}", output.ToString());

        var list = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["users", "list", config], list));
        Assert.Contains("ann@example.test\tLead,Annotator", list.ToString());
    }

    [Fact]
    public async Task UsersAdd_AFirstPasswordSomeoneElseChose_MustBeChangedAtFirstSignIn_UnlessSaidOtherwise()
    {
        using var data = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={data.Path}";
        Assert.Equal(0, await CliApp.RunAsync(["users", "add", "ann@example.test", "--role", "Annotator", "--password", "First-Pass-123", config], TextWriter.Null));
        Assert.Equal(0, await CliApp.RunAsync(["users", "add", "bot@example.test", "--role", "Annotator", "--password", "First-Pass-123", "--no-change-required", config], TextWriter.Null));
        await using var core = await CoreServices.StartAsync(s => s["BpoStudio:DataDirectory"] = data.Path);
        await using var scope = core.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<BpoStudio.Core.Accounts.AppUser>>();
        Assert.True((await users.FindByEmailAsync("ann@example.test"))!.MustChangePassword);
        Assert.False((await users.FindByEmailAsync("bot@example.test"))!.MustChangePassword);
    }

    [Fact]
    public async Task UsersResetLockUnlockAndSetRole_ChangeTheAccount_AndNameAnUnknownEmail()
    {
        using var data = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={data.Path}";
        Assert.Equal(0, await CliApp.RunAsync(["users", "add", "ann@example.test", "--role", "Annotator", "--password", "First-Pass-123", config], TextWriter.Null));

        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["users", "reset-password", "ann@example.test", config], output));
        var password = System.Text.RegularExpressions.Regex.Match(output.ToString(), @"\(shown once\): (\S{24})").Groups[1].Value;
        Assert.Contains("must be changed at the next sign-in", output.ToString());
        await using (var core = await CoreServices.StartAsync(s => s["BpoStudio:DataDirectory"] = data.Path))
        await using (var scope = core.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<BpoStudio.Core.Accounts.AppUser>>();
            var ann = (await users.FindByEmailAsync("ann@example.test"))!;
            Assert.True(await users.CheckPasswordAsync(ann, password));
            Assert.False(await users.CheckPasswordAsync(ann, "First-Pass-123"));
            Assert.True(ann.MustChangePassword);
        }

        Assert.Equal(0, await CliApp.RunAsync(["users", "lock", "ann@example.test", config], TextWriter.Null));
        Assert.Equal(0, await CliApp.RunAsync(["users", "set-role", "ann@example.test", "--role", "Lead", config], TextWriter.Null));
        var list = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["users", "list", config], list));
        Assert.Contains("ann@example.test\tLead\tlocked", list.ToString());
        Assert.Equal(0, await CliApp.RunAsync(["users", "unlock", "ann@example.test", config], TextWriter.Null));
        list = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["users", "list", config], list));
        Assert.Contains("ann@example.test\tLead\tactive", list.ToString());

        var error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["users", "lock", "nobody@example.test", config], TextWriter.Null, error));
        Assert.Contains("There is no user nobody@example.test", error.ToString());
    }

    [Fact]
    public async Task FailsWithOneLineReason_WhenInputIsBad()
    {
        using var data = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={data.Path}";
        var error = new StringWriter();

        Assert.Equal(2, await CliApp.RunAsync(["users", "add", "x@example.test", config], TextWriter.Null, error));
        Assert.Contains("--role is required", error.ToString());

        error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["users", "add", "x@example.test", "--role", "Wizard", config], TextWriter.Null, error));
        Assert.Single(error.ToString().Trim().Split('\n'));
        Assert.Contains("Unknown role 'Wizard'", error.ToString());
    }

    [Fact]
    public async Task MigrateThenSeedDemo_IsIdempotent()
    {
        using var data = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={data.Path}";
        Assert.Equal(0, await CliApp.RunAsync(["migrate", config], TextWriter.Null));
        Assert.True(File.Exists(data.File("bpostudio.db")));
        var first = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["seed-demo", config], first));
        Assert.Contains("Seeded", first.ToString());
        var second = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["seed-demo", config], second));
        Assert.Contains("already exists", second.ToString());
    }

    [Fact]
    public async Task BenchReviewJson_PrintsExactlyOneObjectWithFigures()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "review", "--pairs", "3000", "--decisions", "30", "--json"], output));

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = System.Text.Json.JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("review", root.GetProperty("benchmark").GetString());
        Assert.Equal(3000, root.GetProperty("pairs").GetInt64());
        Assert.Equal(30, root.GetProperty("acceptAndNext").GetProperty("samples").GetInt32());
        Assert.True(root.GetProperty("acceptAndNext").GetProperty("p95Ms").GetDouble() > 0);
        Assert.True(root.GetProperty("baselineLookup").GetProperty("p50Ms").GetDouble() > 0);
        Assert.True(root.GetProperty("p95RatioToBaseline").GetDouble() > 0);
    }

    // Benches that start their own host (the web app, the judge's) run on PostgreSQL too, each in a database of its own.
    [Fact]
    public async Task BenchApiAndJudge_RunOnPostgres_InDatabasesOfTheirOwn_DroppedAfterwards()
    {
        string[] postgres = ["--BpoStudio:Database=Postgres", $"--ConnectionStrings:BpoStudio={PostgresDatabase.Server}"];
        var before = await BenchDatabasesAsync();

        var api = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "api", "--records", "300", "--per-call", "100", "--reads", "20", "--json", .. postgres], api));
        using (var json = System.Text.Json.JsonDocument.Parse(api.ToString()))
        {
            var result = json.RootElement.GetProperty("result");
            Assert.Equal(300, result.GetProperty("records").GetInt64());
            Assert.Equal(300, result.GetProperty("pairs").GetInt64());
        }
        var judge = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "judge", "--pairs", "40", "--latency-ms", "5", "--concurrency", "4", "--json", .. postgres], judge));
        using (var json = System.Text.Json.JsonDocument.Parse(judge.ToString()))
            Assert.Equal(40, json.RootElement.GetProperty("result").GetProperty("pairs").GetInt64());

        Assert.Empty((await BenchDatabasesAsync()).Except(before));
    }

    private static async Task<List<string>> BenchDatabasesAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(PostgresDatabase.Server) { Database = "postgres" }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'bpostudio_bench_%'", connection);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public async Task Bench_RefusesUnknownWorkloadAndBadNumbers()
    {
        var error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["bench", "teleport"], TextWriter.Null, error));
        Assert.Contains("unknown workload 'teleport'", error.ToString());
        error = new StringWriter();
        Assert.Equal(2, await CliApp.RunAsync(["bench", "review", "--pairs", "many"], TextWriter.Null, error));
        Assert.Contains("--pairs must be a positive whole number", error.ToString());
    }

    [Fact]
    public async Task BenchImagingJson_ReportsEveryTransformAndTheBaselineOrWhyNot()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "imaging", "--iterations", "1", "--json"], output));

        using var json = System.Text.Json.JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var transforms = json.RootElement.GetProperty("transforms").EnumerateArray().Select(t => t.GetProperty("transform").GetString()).ToList();
        Assert.Equal(BpoStudio.Core.Imaging.ImageWeakener.Transforms.Select(t => t.Name), transforms);
        Assert.All(json.RootElement.GetProperty("transforms").EnumerateArray(), t => Assert.True(t.GetProperty("imagesPerSecond").GetDouble() > 0));
        var ratio = json.RootElement.GetProperty("diffusionRatioToImageMagick");
        if (ratio.ValueKind == System.Text.Json.JsonValueKind.Null)
            Assert.Contains("ImageMagick is not installed", json.RootElement.GetProperty("note").GetString());
        else
            Assert.True(ratio.GetDouble() > 0);
    }

    [Fact]
    public async Task Generate_RunsAModelFreeJobOnTheDemo()
    {
        using var data = new TestDataFolder();
        var config = $"--BpoStudio:DataDirectory={data.Path}";
        Assert.Equal(0, await CliApp.RunAsync(["seed-demo", config], TextWriter.Null));

        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--dataset", "Demo shapes", "--method", "model-free-injection", "--seed", "3", "--json", config], output));
        using var json = System.Text.Json.JsonDocument.Parse(output.ToString());
        Assert.Equal("Completed", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(json.RootElement.GetProperty("itemsTotal").GetInt64(), json.RootElement.GetProperty("itemsDone").GetInt64());
        Assert.True(json.RootElement.GetProperty("itemsDone").GetInt64() > 100);

        var error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["generate", "--dataset", "Nope", "--method", "model-free-injection", config], TextWriter.Null, error));
        Assert.Contains("There is no dataset 'Nope'", error.ToString());
        error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["generate", "--dataset", "Demo shapes", "--method", "teleport", config], TextWriter.Null, error));
        Assert.Contains("Method 'teleport' is not available", error.ToString());
        error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["generate", "--dataset", "Demo shapes", "--method", "image-pair:pixelate", "--weaken-image", "0", config], TextWriter.Null, error));
        Assert.Contains("counted from 1", error.ToString());
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--dataset", "Demo shapes", "--method", "image-pair:pixelate", "--weaken-image", "1", "--filter", "selection", "--samples", "1", config], TextWriter.Null));
        error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["generate", "--resume", "999", config], TextWriter.Null, error));
        Assert.Contains("Job 999 is not paused, interrupted or failed", error.ToString());
    }

    [Fact]
    public async Task BenchImportJson_ImportsEveryRecordAndReportsTheParseBaseline()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "import", "--records", "2000", "--json"], output));

        using var json = System.Text.Json.JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(2000, json.RootElement.GetProperty("records").GetInt64());
        Assert.True(json.RootElement.GetProperty("recordsPerSecond").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("baselineRecordsPerSecond").GetDouble() > 0);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.RootElement.GetProperty("meetsTargets").ValueKind);
    }

    [Fact]
    public async Task BenchExportJson_ExportsEveryPairInEachRoundAndComparesMedians()
    {
        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["bench", "export", "--pairs", "2000", "--rounds", "2", "--json"], output));

        using var json = System.Text.Json.JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var root = json.RootElement;
        Assert.Equal(2000, root.GetProperty("pairs").GetInt64());
        Assert.Equal(2, root.GetProperty("rounds").GetInt32());
        Assert.True(root.GetProperty("megabytes").GetDouble() > 0.5); // two thousand TRL lines of a few hundred bytes
        Assert.True(root.GetProperty("exportSeconds").GetDouble() > 0);
        Assert.True(root.GetProperty("hashSeconds").GetDouble() > 0);
        Assert.InRange(root.GetProperty("exportKernelSeconds").GetDouble(), 0, root.GetProperty("exportCpuSeconds").GetDouble());
        Assert.Equal(root.GetProperty("rawWriteSeconds").GetDouble() / root.GetProperty("exportSeconds").GetDouble(), root.GetProperty("ratioToRawWrite").GetDouble(), 6);
        Assert.True(root.GetProperty("readCpuSeconds").GetDouble() > 0);
        Assert.InRange(root.GetProperty("floorSeconds").GetDouble(), root.GetProperty("hashSeconds").GetDouble(), root.GetProperty("exportSeconds").GetDouble() * 10);
        Assert.Equal(root.GetProperty("rawWriteSeconds").GetDouble() / root.GetProperty("floorSeconds").GetDouble(), root.GetProperty("bestRatioToRawWrite").GetDouble(), 6);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, root.GetProperty("meetsTargets").ValueKind);
    }
}
