using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BpoStudio.Core;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Export;
using BpoStudio.Core.Import;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Triage;

namespace BpoStudio.Cli;

public sealed record ApiBenchmarkResult(long Records, int PerCall, double PushSeconds, double PushRecordsPerSecond, double FileSeconds, double FileRecordsPerSecond,
    double PushToFile, long Pairs, double PagingSeconds, double ExportSeconds, double PagingToExport, double OnePairP50Ms, double OnePairP95Ms);

/// <summary>
/// <c>bench api</c>: the real web host on loopback with a lead's token. Records with images named by hash (one image per ten
/// records up to 10,000 images, pushed first) pushed in calls
/// against importing the same records from a file; paging every pair against a TRL export of them; one-pair reads.
/// </summary>
internal static class ApiBenchmark
{
    /// <param name="provider">The database settings (none: SQLite in the host's throwaway folder).</param>
    public static async Task<ApiBenchmarkResult> RunAsync(long records, int perCall, int reads, IReadOnlyList<string> provider, CancellationToken ct)
    {
        await using var host = await BenchWebHost.StartAsync("api", ["--Api:RequestsPerMinute=100000000", .. provider], ct);
        var services = host.Services;
        var folder = host.Folder;
        await using (var scope = services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<UserAdministration>().CreateAsync("bench@example.test", "Bench-Pass-12345", [Roles.Lead], ActorChecks.CommandLine);
        var token = (await services.GetRequiredService<ApiTokenService>().CreateAsync(ActorChecks.CommandLine, "bench@example.test", "bench", TokenScope.Lead, 1, ct)).Secret;
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        // One image per ten records, as in VQA-style data (several questions per picture), at most 10,000 pictures.
        var images = new List<string>();
        for (var i = 0; i < Math.Clamp(records / 10, 16, 10_000); i++)
        {
            var png = BpoStudio.Core.Datasets.Demo.DemoScene.Generate(i).RenderPng();
            var hash = Convert.ToHexStringLower(SHA256.HashData(png));
            (await http.PutAsync($"/api/v1/images/{hash}", new ByteArrayContent(png), ct)).EnsureSuccessStatusCode();
            images.Add(hash);
        }
        string Line(long i) => JsonSerializer.Serialize(new
        {
            id = $"r{i:D9}", prompt = $"What colour is the bus in picture {i}?", image = $"sha256:{images[(int)(i % images.Count)]}",
            completions = new object[] { new { response = $"The bus in picture {i} is red.", type = "gt" }, new { response = $"The bus in picture {i} is blue.", type = "llm-hal" } },
        });

        var pushDataset = await NewDatasetAsync(http, "bench api push", ct);
        var push = Stopwatch.StartNew();
        for (long start = 0; start < records; start += perCall)
        {
            var body = string.Join('\n', Enumerable.Range(0, (int)Math.Min(perCall, records - start)).Select(k => Line(start + k)));
            var response = await http.PostAsync($"/api/v1/datasets/{pushDataset}/records?format=bpo", new StringContent(body, Encoding.UTF8, "application/x-ndjson"), ct);
            response.EnsureSuccessStatusCode();
        }
        push.Stop();

        // The same records from a file, through the same import job the page and CLI start.
        var file = Path.Combine(folder, "bench-api.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, (int)records).Select(i => Line(i)), ct);
        var fileImport = Stopwatch.StartNew();
        var job = await services.GetRequiredService<ImportService>().StartAsync(new ImportJobParameters(file, "bench api file", null, ImportFormat.Bpo, null), ActorChecks.CommandLine, ct);
        if ((await services.GetRequiredService<JobService>().RunHereAsync(job.Id, ct)).Status != JobStatus.Completed) throw new InvalidOperationException("The file import failed.");
        fileImport.Stop();

        await services.GetRequiredService<BulkActionService>().ApplyAsync(pushDataset, new BulkRequest(new(), BulkOperation.Accept), ActorChecks.CommandLine, ct: ct);
        var paging = Stopwatch.StartNew();
        long pairs = 0;
        var ids = new List<long>();
        for (long? after = null; ;)
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{pushDataset}/pairs?limit=1000{(after is null ? "" : $"&after={after}")}", ct);
            foreach (var pair in page.GetProperty("items").EnumerateArray())
            {
                pairs++;
                if (ids.Count < 100_000) ids.Add(pair.GetProperty("id").GetInt64());
            }
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null) break;
            after = page.GetProperty("next").GetInt64();
        }
        paging.Stop();

        var export = Stopwatch.StartNew();
        var record = await services.GetRequiredService<ExportService>().StartAsync(new ExportOptions(pushDataset, null, ExportFormat.Trl), ActorChecks.CommandLine, ct);
        if ((await services.GetRequiredService<JobService>().RunHereAsync(record.JobId!.Value, ct)).Status != JobStatus.Completed) throw new InvalidOperationException("The export failed.");
        export.Stop();

        var random = new Random(7);
        var latencies = new List<double>();
        for (var i = 0; i < reads; i++)
        {
            var id = ids[random.Next(ids.Count)];
            var one = Stopwatch.StartNew();
            (await http.GetAsync($"/api/v1/datasets/{pushDataset}/pairs?after={id - 1}&limit=1", ct)).EnsureSuccessStatusCode();
            latencies.Add(one.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        return new ApiBenchmarkResult(records, perCall, push.Elapsed.TotalSeconds, records / push.Elapsed.TotalSeconds, fileImport.Elapsed.TotalSeconds,
            records / fileImport.Elapsed.TotalSeconds, fileImport.Elapsed.TotalSeconds / push.Elapsed.TotalSeconds, pairs, paging.Elapsed.TotalSeconds,
            export.Elapsed.TotalSeconds, paging.Elapsed.TotalSeconds / export.Elapsed.TotalSeconds,
            latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.95)]);
    }

    private static async Task<int> NewDatasetAsync(HttpClient http, string name, CancellationToken ct)
    {
        var created = await http.PostAsJsonAsync("/api/v1/datasets", new { name }, ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt32();
    }
}
