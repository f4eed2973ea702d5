using System.Diagnostics;
using System.Net;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Accounts;

/// <summary>Sign-in as an office and an attacker meet it: failures are limited, successes are not, nobody is locked out by a stranger.</summary>
public class SignInLimitTests
{
    private static HttpClient ClientFrom(BpoAppFactory app, string address, CookieContainer? cookies = null)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address); // the app trusts the loopback proxy the test stands in for
        return client;
    }

    [Fact]
    public async Task ATeamBehindOneAddress_SignsInAtNine_WhileFailedAttemptsFromItAreLimited()
    {
        using var app = new BpoAppFactory().With("BpoStudio:SignInAttemptsPerMinute", "3");
        await app.StartAsync();
        await using (var scope = app.Services.CreateAsyncScope())
            for (var i = 0; i < 12; i++)
                await scope.ServiceProvider.GetRequiredService<UserAdministration>().CreateAsync($"team{i}@example.test", BpoAppFactory.UserPassword, [Roles.Annotator], TestPrincipals.Admin);

        for (var i = 0; i < 12; i++)
        {
            using var member = ClientFrom(app, "203.0.113.7");
            Assert.Equal(HttpStatusCode.Redirect, (await BpoAppFactory.PostSignInAsync(member, $"team{i}@example.test", BpoAppFactory.UserPassword)).StatusCode);
        }

        using var guesser = ClientFrom(app, "203.0.113.7");
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await BpoAppFactory.PostSignInAsync(guesser, $"team{i}@example.test", "wrong-password")).StatusCode);
        var refused = await BpoAppFactory.PostSignInAsync(guesser, "team5@example.test", BpoAppFactory.UserPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("Too many failed sign-ins from this address", await refused.Content.ReadAsStringAsync());
        Assert.True(refused.Headers.RetryAfter is not null);
        using var elsewhere = ClientFrom(app, "198.51.100.20");
        Assert.Equal(HttpStatusCode.Redirect, (await BpoAppFactory.PostSignInAsync(elsewhere, "team5@example.test", BpoAppFactory.UserPassword)).StatusCode);
    }

    [Fact]
    public async Task AStrangerGuessingTheAdminsPassword_SlowsOnlyTheStranger_AndNeverLocksTheAdminOut()
    {
        using var app = new BpoAppFactory();
        await app.StartAsync(createUsers: false);
        using (var admin = ClientFrom(app, "192.0.2.10"))
            Assert.Equal(HttpStatusCode.Redirect, (await BpoAppFactory.PostSignInAsync(admin, BpoAppFactory.AdminEmail, BpoAppFactory.AdminPassword)).StatusCode);

        using var stranger = ClientFrom(app, "198.51.100.66");
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++) answers.Add((await BpoAppFactory.PostSignInAsync(stranger, BpoAppFactory.AdminEmail, $"guess-{i}")).StatusCode);
        Assert.All(answers.Take(SignInThrottle.FreeAccountFailures), a => Assert.Equal(HttpStatusCode.OK, a));
        Assert.Contains(HttpStatusCode.TooManyRequests, answers); // slowed down by a growing delay

        using (var admin = ClientFrom(app, "192.0.2.10"))
            Assert.Equal(HttpStatusCode.Redirect, (await BpoAppFactory.PostSignInAsync(admin, BpoAppFactory.AdminEmail, BpoAppFactory.AdminPassword)).StatusCode);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Null(await db.Users.Where(u => u.Email == BpoAppFactory.AdminEmail).Select(u => u.LockoutEnd).SingleAsync());
    }

    [Fact]
    public void TheAccountDelay_GrowsAndIsCapped_AndAKnownAddressIsNotDelayed()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var throttle = new SignInThrottle(clock, failuresPerAddressPerMinute: 1000);
        throttle.Succeeded("home", "a@x");
        for (var i = 0; i < 8; i++) throttle.Failed("far", "a@x");
        Assert.False(throttle.Check("far", "a@x").Allowed);
        Assert.Equal(TimeSpan.FromSeconds(8), throttle.Check("new", "a@x").RetryAfter);
        Assert.True(throttle.Check("home", "a@x").Allowed);
        clock.Advance(TimeSpan.FromSeconds(8));
        Assert.True(throttle.Check("far", "a@x").Allowed);
        Assert.Equal(SignInThrottle.MaxAccountDelay, SignInThrottle.Delay(60));
        Assert.Equal(TimeSpan.Zero, SignInThrottle.Delay(SignInThrottle.FreeAccountFailures - 1));
    }

    [Fact]
    public async Task AnUnknownEmail_TakesAsLongAsAWrongPassword()
    {
        using var app = new BpoAppFactory();
        await app.StartAsync();
        using var client = app.CreateAnonymousClient();
        await BpoAppFactory.PostSignInAsync(client, BpoAppFactory.AnnotatorEmail, "warm-up");
        async Task<double> MedianAsync(string email)
        {
            var times = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var page = await client.GetStringAsync("/account/login"); // not timed: the form and its token
                var watch = Stopwatch.StartNew();
                await PostWithPageAsync(client, page, email);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            return times.Order().ElementAt(2);
        }
        var unknown = await MedianAsync("nobody-here@example.test");
        var known = await MedianAsync(BpoAppFactory.LeadEmail);
        Assert.True(unknown > known / 3 && unknown < known * 3, $"unknown {unknown:0} ms against known {known:0} ms");
    }

    private static async Task PostWithPageAsync(HttpClient client, string page, string email)
    {
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email, ["Input.Password"] = "not-the-password", ["_handler"] = "login", ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
        }));
    }
}
