using System.Net;
using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Accounts;

/// <summary>Cookies end on the server: signing out, locking, re-roling, password changes and "sign out everywhere".</summary>
public class SessionRevocationTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly BpoAppFactory _app = new();
    private PostgresDatabase? _database;

    public async Task InitializeAsync()
    {
        if (Provider == DatabaseProvider.Postgres)
        {
            _database = await PostgresDatabase.CreateAsync();
            _app.With("BpoStudio:Database", "Postgres").With("ConnectionStrings:BpoStudio", _database.ConnectionString);
        }
        await _app.StartAsync(createUsers: false);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    private async Task<T> AdministerAsync<T>(Func<UserAdministration, Task<T>> action)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<UserAdministration>());
    }

    private Task<UserSummary> NewUserAsync(string role) =>
        AdministerAsync(admin => admin.CreateAsync($"{Guid.NewGuid():N}@example.test", BpoAppFactory.UserPassword, [role], TestPrincipals.Admin));

    private static async Task AssertSignedInAsync(HttpClient client, string path = "/") =>
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);

    private static async Task AssertSignedOutAsync(HttpClient client, string path = "/")
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    private HttpClient CopyOf(HttpClient signedIn, CookieContainer jar)
    {
        var copy = new CookieContainer();
        foreach (Cookie cookie in jar.GetAllCookies()) copy.Add(cookie);
        return new HttpClient(new HttpClientHandler { CookieContainer = copy, AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
    }

    [Fact]
    public async Task ACookieCopiedBeforeSignOut_DoesNotWorkAfterIt()
    {
        var user = await NewUserAsync(Roles.Annotator);
        var jar = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        Assert.Equal(HttpStatusCode.Redirect, (await BpoAppFactory.PostSignInAsync(browser, user.Email, BpoAppFactory.UserPassword)).StatusCode);
        using var stolen = CopyOf(browser, jar);
        await AssertSignedInAsync(stolen);

        var signOut = await BpoAppFactory.PostFormAsync(browser, "/account/password", "/account/logout", null, []);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        await AssertSignedOutAsync(stolen);
    }

    [Fact]
    public async Task LockingAUser_EndsTheirCookies_ForPagesExportsAndTheAuditCsv()
    {
        var lead = await NewUserAsync(Roles.Lead);
        using var client = await _app.CreateSignedInClientAsync(lead.Email, BpoAppFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/audit/export.csv")).StatusCode);

        await AdministerAsync(async admin => { await admin.SetLockedAsync(lead.Id, true, TestPrincipals.Admin); return 0; });

        await AssertSignedOutAsync(client);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/audit/export.csv")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/exports/1/download")).StatusCode);
        Assert.NotEqual(HttpStatusCode.Redirect, (await BpoAppFactory.PostSignInAsync(_app.CreateAnonymousClient(), lead.Email, BpoAppFactory.UserPassword)).StatusCode);
    }

    [Fact]
    public async Task ADemotedLead_LosesLeadPagesAtOnce()
    {
        var lead = await NewUserAsync(Roles.Lead);
        using var client = await _app.CreateSignedInClientAsync(lead.Email, BpoAppFactory.UserPassword);
        await AssertSignedInAsync(client, "/import");

        await AdministerAsync(async admin => { await admin.SetRolesAsync(lead.Id, [Roles.Annotator], TestPrincipals.Admin); return 0; });

        await AssertSignedOutAsync(client, "/import");
        using var again = await _app.CreateSignedInClientAsync(lead.Email, BpoAppFactory.UserPassword);
        await BpoAppFactory.AssertAccessDeniedAsync(again, "/import");
    }

    [Fact]
    public async Task SignOutEverywhere_EndsEveryBrowserOfThatUser_AndNoOneElses()
    {
        var user = await NewUserAsync(Roles.Annotator);
        var other = await NewUserAsync(Roles.Annotator);
        using var laptop = await _app.CreateSignedInClientAsync(user.Email, BpoAppFactory.UserPassword);
        using var phone = await _app.CreateSignedInClientAsync(user.Email, BpoAppFactory.UserPassword);
        using var colleague = await _app.CreateSignedInClientAsync(other.Email, BpoAppFactory.UserPassword);

        var response = await BpoAppFactory.PostFormAsync(laptop, "/account/password", "/account/logout-everywhere", null, []);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);

        await AssertSignedOutAsync(laptop);
        await AssertSignedOutAsync(phone);
        await AssertSignedInAsync(colleague);
    }

    [Fact]
    public async Task ChangingYourPassword_KeepsThisBrowser_EndsTheOthers_AndRetiresTheOldPassword()
    {
        var user = await NewUserAsync(Roles.Annotator);
        using var here = await _app.CreateSignedInClientAsync(user.Email, BpoAppFactory.UserPassword);
        using var elsewhere = await _app.CreateSignedInClientAsync(user.Email, BpoAppFactory.UserPassword);

        var wrong = await ChangePasswordAsync(here, "Not-The-Current-1", "Brand-New-Pass-1");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("Incorrect password", await wrong.Content.ReadAsStringAsync());

        var changed = await ChangePasswordAsync(here, BpoAppFactory.UserPassword, "Brand-New-Pass-1");
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);

        await AssertSignedInAsync(here);
        await AssertSignedOutAsync(elsewhere);
        Assert.Equal(HttpStatusCode.OK, (await BpoAppFactory.PostSignInAsync(_app.CreateAnonymousClient(), user.Email, BpoAppFactory.UserPassword)).StatusCode); // the form again, with an error
        using var _ = await _app.CreateSignedInClientAsync(user.Email, "Brand-New-Pass-1");
    }

    [Fact]
    public async Task AnAdminReset_ShowsAPasswordOnce_EndsSessions_AndForcesAChangeBeforeAnythingElse()
    {
        var user = await NewUserAsync(Roles.Lead);
        using var before = await _app.CreateSignedInClientAsync(user.Email, BpoAppFactory.UserPassword);
        var generated = await AdministerAsync(admin => admin.ResetPasswordAsync(user.Id, TestPrincipals.Admin));
        await AssertSignedOutAsync(before);

        using var client = await _app.CreateSignedInClientAsync(user.Email, generated);
        foreach (var path in new[] { "/", "/import", "/audit/export.csv" })
        {
            var gated = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, gated.StatusCode);
            Assert.Equal("/account/password", gated.Headers.Location!.OriginalString);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/images/" + new string('0', 64))).StatusCode);
        Assert.Contains("reset by an admin", await client.GetStringAsync("/account/password"));

        Assert.Equal(HttpStatusCode.Redirect, (await ChangePasswordAsync(client, generated, "My-Own-Pass-12")).StatusCode);
        await AssertSignedInAsync(client, "/import");
    }

    private static Task<HttpResponseMessage> ChangePasswordAsync(HttpClient client, string current, string next) =>
        BpoAppFactory.PostFormAsync(client, "/account/password", "/account/password", "change-password",
            new() { ["Input.Current"] = current, ["Input.New"] = next, ["Input.Confirm"] = next });
}
