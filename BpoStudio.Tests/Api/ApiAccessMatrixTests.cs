using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Api;

/// <summary>Every endpoint for every role and scope: refused (403) exactly when the scope or the user's role does not allow it.</summary>
public class ApiAccessMatrixTests : ApiTestHost
{
    private sealed record Call(HttpMethod Method, string Path, TokenScope Scope, bool NeedsLead, Func<HttpContent?> Body);

    [Fact]
    public async Task EachEndpoint_RefusesExactlyTheScopesAndRolesThatMayNotCallIt()
    {
        var d = await DemoDatasetIdAsync();
        var png = Core.Datasets.Demo.DemoScene.Generate(5).RenderPng();
        var hash = Convert.ToHexStringLower(SHA256.HashData(png));
        HttpContent Json(object body) => JsonContent.Create(body);
        Call[] calls =
        [
            new(HttpMethod.Get, "/api/v1/datasets", TokenScope.Read, false, () => null),
            new(HttpMethod.Get, $"/api/v1/datasets/{d}", TokenScope.Read, false, () => null),
            new(HttpMethod.Get, $"/api/v1/datasets/{d}/pairs?limit=5", TokenScope.Read, false, () => null),
            new(HttpMethod.Get, $"/api/v1/datasets/{d}/events", TokenScope.Read, false, () => null),
            new(HttpMethod.Get, "/api/v1/jobs/1", TokenScope.Read, false, () => null),
            new(HttpMethod.Get, $"/api/v1/datasets/{d}/versions", TokenScope.Read, false, () => null),
            new(HttpMethod.Post, "/api/v1/datasets", TokenScope.Write, true, () => Json(new { name = $"m {Guid.NewGuid():N}"[..12] })),
            new(HttpMethod.Put, $"/api/v1/images/{hash}", TokenScope.Write, true, () => new ByteArrayContent(png)),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/records?format=bpo", TokenScope.Write, true,
                () => new StringContent("""{"id":"m1","prompt":"Q","completions":[{"response":"A","type":"gt"},{"response":"B","type":"llm-hal"}]}""")),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/generate", TokenScope.Write, true, () => Json(new { method = "model-free-injection" })),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/checks", TokenScope.Write, true, () => Json(new { })),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/versions", TokenScope.Lead, true, () => Json(new { notes = "m" })),
            new(HttpMethod.Get, $"/api/v1/datasets/{d}/versions/compare?from=1&to=1", TokenScope.Read, false, () => null),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/versions/99/deprecate", TokenScope.Lead, true, () => Json(new { reason = "old" })),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/bulk", TokenScope.Lead, true, () => Json(new { filter = new { }, operation = "Flag", reason = "look" })),
            new(HttpMethod.Post, "/api/v1/bulk/999999/undo", TokenScope.Lead, true, () => null),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/exports", TokenScope.Lead, true, () => Json(new { format = "trl" })),
            new(HttpMethod.Get, "/api/v1/exports/999999", TokenScope.Lead, true, () => null),
            new(HttpMethod.Get, "/api/v1/exports/999999/manifest", TokenScope.Lead, true, () => null),
            new(HttpMethod.Get, "/api/v1/exports/999999/download", TokenScope.Lead, true, () => null),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/spot-checks", TokenScope.Lead, true, () => Json(new { sampleSize = 3 })),
            new(HttpMethod.Get, "/api/v1/spot-checks/999999", TokenScope.Lead, true, () => null),
            new(HttpMethod.Post, "/api/v1/spot-checks/999999/accept-rest?stratum=all", TokenScope.Lead, true, () => null),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/scores", TokenScope.Write, true, () => Json(new[] { new { pairId = 1, scorer = "rm-8b", preferChosen = 0.7 } })),
            new(HttpMethod.Get, "/api/v1/pairs/1/scores", TokenScope.Read, false, () => null),
            new(HttpMethod.Post, $"/api/v1/datasets/{d}/judge", TokenScope.Write, true, () => Json(new { dryRun = true })),
            new(HttpMethod.Get, "/api/v1/spot-checks/999999/calibration", TokenScope.Lead, true, () => null),
        ];
        var callers = new List<(string Who, bool Lead, TokenScope Scope, HttpClient Client)>();
        foreach (var scope in new[] { TokenScope.Read, TokenScope.Write })
            callers.Add(("annotator", false, scope, Client(await TokenAsync(BpoAppFactory.AnnotatorEmail, scope))));
        foreach (var scope in Enum.GetValues<TokenScope>())
            callers.Add(("lead", true, scope, Client(await TokenAsync(BpoAppFactory.LeadEmail, scope))));

        var wrong = new List<string>();
        foreach (var call in calls)
            foreach (var (who, lead, scope, client) in callers)
            {
                using var request = new HttpRequestMessage(call.Method, call.Path) { Content = call.Body() };
                var status = (await client.SendAsync(request)).StatusCode;
                var allowed = scope >= call.Scope && (lead || !call.NeedsLead);
                if (status == HttpStatusCode.Unauthorized || (status == HttpStatusCode.Forbidden) == allowed)
                    wrong.Add($"{call.Method} {call.Path} as {who} with {scope}: {(int)status}, expected {(allowed ? "not 403" : "403")}");
            }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }
}

public class ApiAccessMatrixTestsOnPostgres : ApiAccessMatrixTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
