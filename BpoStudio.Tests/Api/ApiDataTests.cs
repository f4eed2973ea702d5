using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Export;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Api;

/// <summary>What a training pipeline does through the API: push images and records, page through pairs, follow decisions, take an export.</summary>
public class ApiDataTests : ApiTestHost
{
    private static string Record(string id, string prompt, string image, params (string Text, string Type)[] completions) =>
        JsonSerializer.Serialize(new { id, prompt, image, completions = completions.Select(c => new { response = c.Text, type = c.Type }) });

    private async Task<(HttpClient Client, int Dataset)> NewDatasetAsync(TokenScope scope = TokenScope.Write)
    {
        var client = Client(await TokenAsync(BpoAppFactory.LeadEmail, scope));
        var created = await client.PostAsJsonAsync("/api/v1/datasets", new { name = $"pushed {Guid.NewGuid():N}"[..20], description = "from a pipeline" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (client, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task ImagesByHash_ThenRecords_MergeOnRepeat_AndBadInputIsNamed()
    {
        var (client, dataset) = await NewDatasetAsync();
        var png = Core.Datasets.Demo.DemoScene.Generate(7).RenderPng();
        var hash = Convert.ToHexStringLower(SHA256.HashData(png));

        var mismatch = await client.PutAsync($"/api/v1/images/{new string('0', 64)}", new ByteArrayContent(png));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mismatch.StatusCode);
        var notImage = "not an image"u8.ToArray();
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsync($"/api/v1/images/{Convert.ToHexStringLower(SHA256.HashData(notImage))}", new ByteArrayContent(notImage))).StatusCode);
        for (var i = 0; i < 2; i++) // idempotent
        {
            var stored = await client.PutAsync($"/api/v1/images/{hash}", new ByteArrayContent(png));
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
            Assert.Equal(hash, (await stored.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sha256").GetString());
        }

        var first = string.Join('\n',
            Record("r1", "What colour is the bus?", $"sha256:{hash}", ("A red bus.", "gt"), ("A blue bus.", "llm-hal")),
            "{ this is not json",
            Record("r2", "How many people?", $"sha256:{new string('a', 64)}", ("Two people.", "gt"), ("Three people.", "llm-hal")));
        var pushed = await PushAsync(client, dataset, first);
        Assert.Equal(2, pushed.GetProperty("imported").GetInt64());
        var rejected = Assert.Single(pushed.GetProperty("rejected").EnumerateArray());
        Assert.Equal("line 2", rejected.GetProperty("where").GetString());
        var problems = await Get<Core.Datasets.DatasetQueries>().SamplesAsync(dataset, 0, 10);
        Assert.Equal([null, $"image 'sha256:{new string('a', 64)}' was never stored: push its bytes first (PUT /api/v1/images/{new string('a', 64)})"],
            problems.Items.OrderBy(s => s.SourceRecordId).Select(s => s.ImageProblem));

        // The same push again adds nothing; a new negative for r1 joins its sample; a repeated one is counted, not added.
        var again = await PushAsync(client, dataset, first);
        Assert.Equal((0L, 2L, 0L), (again.GetProperty("imported").GetInt64(), again.GetProperty("samplesPresent").GetInt64(), again.GetProperty("newResponses").GetInt64()));
        var more = await PushAsync(client, dataset, Record("r1", "What colour is the bus?", $"sha256:{hash}", ("A red bus.", "gt"), ("A blue bus.", "llm-hal"), ("A red train.", "mllm-hal")));
        Assert.Equal((1L, 2L), (more.GetProperty("newResponses").GetInt64(), more.GetProperty("repeatedResponses").GetInt64())); // the answer and the old negative

        var pairs = await client.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{dataset}/pairs?limit=10");
        var listed = pairs.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, listed.Count);
        Assert.Equal(hash, listed[0].GetProperty("imageHash").GetString());
        Assert.Contains(listed, p => p.GetProperty("rejected").GetProperty("text").GetString() == "A red train.");
        Assert.Equal(JsonValueKind.Null, pairs.GetProperty("next").ValueKind);

        // Bad calls: an unknown dataset, an unknown format, too many records, an empty body.
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/v1/datasets/99999/records", new StringContent(first))).StatusCode);
        var format = await client.PostAsync($"/api/v1/datasets/{dataset}/records?format=csv", new StringContent(first));
        Assert.Equal("format", (await format.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("where").GetString());
        var tooMany = string.Join('\n', Enumerable.Range(0, 10_001).Select(i => "{}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync($"/api/v1/datasets/{dataset}/records", new StringContent(tooMany))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync($"/api/v1/datasets/{dataset}/records", new StringContent(""))).StatusCode);

        // Every push is an import of the dataset's history, like the page's and the CLI's.
        var history = await Get<Core.Import.ImportService>().HistoryAsync(dataset, TestPrincipals.Lead);
        Assert.Equal(3, history.Count);
        Assert.All(history, h => Assert.Equal(Core.Import.RecordPush.SourceName, h.File));
    }

    private static async Task<JsonElement> PushAsync(HttpClient client, int dataset, string lines)
    {
        var response = await client.PostAsync($"/api/v1/datasets/{dataset}/records?format=bpo", new StringContent(lines, Encoding.UTF8, "application/x-ndjson"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task PagesWalkEveryPairOnce_WithFindingsAndHistory_AndEventsFollowDecisions()
    {
        var dataset = await DemoDatasetIdAsync();
        var client = Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Read));
        var pairs = await Get<Core.Datasets.DatasetQueries>().ListAsync();
        var total = pairs.Single(d => d.Id == dataset).Pairs;
        var seen = new List<long>();
        string? next = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{dataset}/pairs?limit=97{(next is null ? "" : $"&after={next}")}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()));
            next = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetInt64().ToString();
        } while (next is not null);
        Assert.Equal(total, seen.Count);
        Assert.Equal(seen.Order(), seen);

        var first = seen[0];
        var view = (await Get<ReviewQueries>().LoadAsync(first))!;
        await Get<ReviewService>().RejectAsync(first, view.RowVersion, TestPrincipals.Reviewer("ann-id", "ann@example.test"), "Other");
        var events = await client.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{dataset}/events?limit=5");
        var decision = events.GetProperty("items").EnumerateArray().Last();
        Assert.Equal((first, "Reject"), (decision.GetProperty("pairId").GetInt64(), decision.GetProperty("action").GetString()));
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{dataset}/events?after={decision.GetProperty("id").GetInt64()}");
        Assert.Empty(after.GetProperty("items").EnumerateArray());

        var rejected = await client.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{dataset}/pairs?status=rejected&include=findings,history");
        var pair = Assert.Single(rejected.GetProperty("items").EnumerateArray());
        Assert.Equal("Reject", Assert.Single(pair.GetProperty("history").EnumerateArray()).GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Array, pair.GetProperty("findings").ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/v1/datasets/{dataset}/pairs?limit=5000")).StatusCode);
    }

    [Fact]
    public async Task ALeadTokenApprovesAndExports_TheExportIsInTheHistory_AndItsZipDownloads()
    {
        var dataset = await DemoDatasetIdAsync();
        var client = Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Lead));
        var bulk = await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/bulk", new { filter = new { }, operation = "Accept" }, BulkJson);
        Assert.True(bulk.IsSuccessStatusCode, await bulk.Content.ReadAsStringAsync());
        var version = await (await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/versions", new { notes = "api" })).Content.ReadFromJsonAsync<JsonElement>();

        var started = await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/exports", new { format = "trl", version = version.GetProperty("number").GetInt32() });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var export = await started.Content.ReadFromJsonAsync<JsonElement>();
        await Get<JobService>().RunHereAsync(export.GetProperty("jobId").GetInt64());
        var done = await client.GetFromJsonAsync<JsonElement>(started.Headers.Location!);
        Assert.Equal("Completed", done.GetProperty("status").GetString());
        var zip = await client.GetAsync(done.GetProperty("download").GetString());
        Assert.Equal("application/zip", zip.Content.Headers.ContentType?.MediaType);
        using (var archive = new ZipArchive(await zip.Content.ReadAsStreamAsync()))
            Assert.Contains(archive.Entries, e => e.FullName == "train.jsonl");
        var compared = await client.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{dataset}/versions/compare?from=1&to=1");
        Assert.Equal(0, compared.GetProperty("added").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/versions/1/deprecate", new { reason = "superseded" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/exports", new { format = "trl", version = 1 })).StatusCode);
        var history = await Get<ExportService>().HistoryAsync(dataset);
        Assert.Contains(history, h => h.Export.Id == export.GetProperty("id").GetInt64() && h.Export.Status == ExportStatus.Completed);
        var job = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{export.GetProperty("jobId").GetInt64()}");
        Assert.Equal("Completed", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ALeadTokenDrawsASpotCheck_FollowsItsStrata_AndAcceptsTheRestOfOneThatMeetsTheThreshold()
    {
        var dataset = await DemoDatasetIdAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Write))
            .PostAsJsonAsync($"/api/v1/datasets/{dataset}/spot-checks", new { sampleSize = 10 })).StatusCode);
        var client = Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Lead));
        var drawn = await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/spot-checks", new { sampleSize = 30, seed = 11, stratified = false, threshold = 0.85 });
        Assert.Equal(HttpStatusCode.Created, drawn.StatusCode);
        var check = await drawn.Content.ReadFromJsonAsync<JsonElement>();
        var stratum = check.GetProperty("strata")[0].GetProperty("stratum").GetString()!;
        var early = await client.PostAsync($"/api/v1/spot-checks/{check.GetProperty("id").GetInt64()}/accept-rest?stratum={stratum}", null);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode); // nothing reviewed yet

        // Annotators review the sample (here through the services the page uses).
        var reviews = Get<ReviewService>();
        var queries = Get<ReviewQueries>();
        for (var i = 0; i < 30; i++)
        {
            var next = (await queries.NextAsync(dataset, "ann-id"))!;
            await reviews.AcceptAsync(next.PairId, next.RowVersion, TestPrincipals.Reviewer("ann-id", "ann@example.test"));
        }
        var status = await client.GetFromJsonAsync<JsonElement>(drawn.Headers.Location!);
        Assert.True(status.GetProperty("strata")[0].GetProperty("meetsThreshold").GetBoolean());
        var accepted = await client.PostAsync($"/api/v1/spot-checks/{check.GetProperty("id").GetInt64()}/accept-rest?stratum={stratum}", null);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.True((await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("applied").GetInt32() > 0);
    }

    [Fact]
    public async Task AWriteTokenStartsGenerationAndChecks_AsJobsItFollows_AndBadParametersAreNamed()
    {
        var dataset = await DemoDatasetIdAsync();
        var client = Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Write));
        var unknown = await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/generate", new { method = "no-such-method" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("no-such-method", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(await TokenAsync(BpoAppFactory.AnnotatorEmail, TokenScope.Write))
            .PostAsJsonAsync($"/api/v1/datasets/{dataset}/checks", new { })).StatusCode);

        foreach (var (path, body) in new (string, object)[] { ("generate", new { method = "model-free-injection", count = 1, seed = 3 }), ("checks", new { }) })
        {
            var started = await client.PostAsJsonAsync($"/api/v1/datasets/{dataset}/{path}", body);
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
            var job = await started.Content.ReadFromJsonAsync<JsonElement>();
            await Get<JobService>().RunHereAsync(job.GetProperty("id").GetInt64());
            var done = await client.GetFromJsonAsync<JsonElement>(started.Headers.Location!);
            Assert.Equal("Completed", done.GetProperty("status").GetString());
            Assert.True(done.GetProperty("itemsDone").GetInt64() > 0, path);
        }
    }

    private static readonly JsonSerializerOptions BulkJson = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task TheOpenApiDocument_ListsEveryEndpoint_WithItsSchemas()
    {
        var document = await App.CreateAnonymousClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => o.Value.TryGetProperty("operationId", out var id) ? id.GetString() : $"{o.Name} {p.Name}")).ToHashSet();
        string[] expected = ["ListDatasets", "GetDataset", "CreateDataset", "PutImage", "PushRecords", "ListPairs", "ListReviewEvents", "GetJob", "ListVersions",
            "ApproveVersion", "ApplyBulkAction", "UndoBulkAction", "StartExport", "GetExport", "GetExportManifest", "DownloadExport",
            "DrawSpotCheck", "GetSpotCheck", "AcceptRestOfStratum", "StartGeneration", "StartChecks", "CompareVersions", "DeprecateVersion",
            "PushScores", "GetPairScores", "RunJudge", "GetJudgeCalibration"];
        Assert.Equal(expected.Order(), operations.Order());
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("PushResult", out _));
    }
}

public class ApiDataTestsOnPostgres : ApiDataTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
