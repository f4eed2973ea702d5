using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Api;

/// <summary>Personal access tokens through a real host: who may call, with which scope, and that a revocation bites at once.</summary>
public class ApiTokenTests : ApiTestHost
{
    [Fact]
    public async Task NoTokenOrTheSignInCookie_Is401_AValidTokenWorks_RevokedOrExpiredOrLockedOut_Is401AtOnce()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(null).GetAsync("/api/v1/datasets")).StatusCode);
        var cookie = await App.CreateSignedInClientAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        var withCookie = await cookie.GetAsync("/api/v1/datasets");
        Assert.Equal(HttpStatusCode.Unauthorized, withCookie.StatusCode);
        Assert.Equal("application/problem+json", withCookie.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client("bpo_not-a-real-token").GetAsync("/api/v1/datasets")).StatusCode);

        var secret = await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Read);
        var lead = Client(secret);
        var datasets = await lead.GetFromJsonAsync<JsonElement>("/api/v1/datasets");
        Assert.Contains(datasets.EnumerateArray(), d => d.GetProperty("name").GetString() == Core.Datasets.Demo.DemoSeeder.DatasetName);
        var tokens = Get<ApiTokenService>();
        var listed = Assert.Single(await tokens.ListAsync(TestPrincipals.Admin), t => secret.StartsWith(t.Prefix, StringComparison.Ordinal));
        Assert.NotNull(listed.LastUsedAt);
        await using (var db = await Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            Assert.False(await db.ApiTokens.AnyAsync(t => t.Hash == secret), "only the hash is stored");

        await tokens.RevokeAsync(ActorChecks.CommandLine, listed.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await lead.GetAsync("/api/v1/datasets")).StatusCode);

        var expiring = await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Read, days: 1);
        Assert.Equal(HttpStatusCode.OK, (await Client(expiring).GetAsync("/api/v1/datasets")).StatusCode);
        await using (var db = await Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.ApiTokens.Where(t => t.Hash == ApiTokenService.HashOf(expiring)).ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(expiring).GetAsync("/api/v1/datasets")).StatusCode);

        var annotator = await TokenAsync(BpoAppFactory.AnnotatorEmail, TokenScope.Read);
        Assert.Equal(HttpStatusCode.OK, (await Client(annotator).GetAsync("/api/v1/datasets")).StatusCode);
        await using (var db = await Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Users.Where(u => u.Email == BpoAppFactory.AnnotatorEmail).ExecuteUpdateAsync(s => s.SetProperty(u => u.LockoutEnd, DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(annotator).GetAsync("/api/v1/datasets")).StatusCode);
    }

    [Fact]
    public async Task TheScopeNarrowsTheRoles_AndTheRoleNarrowsTheScope()
    {
        var dataset = await DemoDatasetIdAsync();
        var push = new StringContent("""{"id":"s1","prompt":"Q","completions":[{"response":"A","type":"gt"},{"response":"B","type":"llm-hal"}]}""");

        // An annotator's write token cannot import: the service refuses her role.
        var annotator = Client(await TokenAsync(BpoAppFactory.AnnotatorEmail, TokenScope.Write));
        var refused = await annotator.PostAsync($"/api/v1/datasets/{dataset}/records?format=bpo", push);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("lead", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        // A lead's read token cannot write, her write token cannot approve, her lead token can.
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Read))
            .PostAsync($"/api/v1/datasets/{dataset}/records?format=bpo", push)).StatusCode);
        var notes = JsonContent.Create(new { notes = "from a pipeline" });
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Write))
            .PostAsync($"/api/v1/datasets/{dataset}/versions", notes)).StatusCode);
        await using (var db = await Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.Where(p => p.DatasetId == dataset).OrderBy(p => p.Id).Take(3).ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, Core.Datasets.PairStatus.Accepted));
        var approved = await Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Lead)).PostAsync($"/api/v1/datasets/{dataset}/versions", notes);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal(3, (await approved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pairCount").GetInt32());

        // Nobody gets a lead token without being a lead, and only an admin makes tokens for others.
        await Assert.ThrowsAsync<Core.InvalidInputError>(() => TokenAsync(BpoAppFactory.AnnotatorEmail, TokenScope.Lead));
        var lead = TestPrincipals.Of(BpoAppFactory.LeadEmail, Roles.Lead);
        await Assert.ThrowsAsync<Core.ForbiddenError>(() => Get<ApiTokenService>().CreateAsync(lead, BpoAppFactory.AnnotatorEmail, "x", TokenScope.Read, null));
    }

    [Fact]
    public async Task EveryCallIsAuditedWithItsToken_AndUnknownThingsAre404WithProblemDetails()
    {
        var secret = await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Read);
        var client = Client(secret);
        var missing = await client.GetAsync("/api/v1/datasets/99999/pairs");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("There is no dataset 99999.", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var bad = await client.GetAsync($"/api/v1/datasets/{await DemoDatasetIdAsync()}/pairs?status=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("status", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("where").GetString());

        var token = (await Get<ApiTokenService>().ListAsync(TestPrincipals.Admin)).Single(t => secret.StartsWith(t.Prefix, StringComparison.Ordinal));
        await using var db = await Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var unknown = await client.GetAsync("/api/v1/nothing-here");
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (unknown.StatusCode, unknown.Content.Headers.ContentType?.MediaType));
        var calls = await db.AuditEntries.Where(a => a.Action == "api.call" && a.Subject == $"token {token.Id}").Select(a => a.Details).ToListAsync();
        Assert.Contains("GET /api/v1/datasets/99999/pairs -> 404", calls);
        Assert.Equal(2, calls.Count);
    }
}

public class ApiTokenTestsOnPostgres : ApiTokenTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>The per-token limit: a pipeline in a loop slows down, other tokens are untouched.</summary>
public class ApiRateLimitTests : ApiTestHost
{
    protected override void Configure(BpoAppFactory app) => app.With("Api:RequestsPerMinute", "3");

    [Fact]
    public async Task ATokenPastItsLimitGets429_AnotherTokenDoesNot()
    {
        var busy = Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Read));
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) codes.Add((await busy.GetAsync("/api/v1/datasets")).StatusCode);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], codes);
        Assert.Equal(HttpStatusCode.OK, (await Client(await TokenAsync(BpoAppFactory.LeadEmail, TokenScope.Read)).GetAsync("/api/v1/datasets")).StatusCode);
    }
}
