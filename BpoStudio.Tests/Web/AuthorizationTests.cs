using System.Net;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Web;

[Collection(WebCollection.Name)]
public class AuthorizationTests(AppFixture fixture)
{
    private const string SomeHash = "0000000000000000000000000000000000000000000000000000000000000000";

    [Theory]
    [InlineData("/")]
    [InlineData("/datasets")]
    [InlineData("/datasets/1")]
    [InlineData("/admin/users")]
    [InlineData("/no-such-page")]
    public async Task AnonymousPageRequest_RedirectsToSignIn(string path)
    {
        using var client = fixture.App.CreateAnonymousClient();
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/images/" + SomeHash)]
    [InlineData("/images/" + SomeHash + "/thumbnail/256")]
    [InlineData("/_blazor/negotiate?negotiateVersion=1")]
    public async Task AnonymousApiRequest_IsRefusedWith401(string path)
    {
        using var client = fixture.App.CreateAnonymousClient();
        var response = path.StartsWith("/_blazor", StringComparison.Ordinal) ? await client.PostAsync(path, null) : await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SignInPageAndStyles_AreOpenToAnonymous()
    {
        using var client = fixture.App.CreateAnonymousClient();
        var login = await client.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var html = await login.Content.ReadAsStringAsync();
        Assert.Contains("MudBlazor.min", html);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css")).StatusCode);
    }

    [Fact]
    public async Task WrongPassword_DoesNotSignIn()
    {
        await Assert.ThrowsAsync<Xunit.Sdk.TrueException>(() =>
            fixture.App.CreateSignedInClientAsync(BpoAppFactory.AnnotatorEmail, "wrong-password"));
    }

    [Fact]
    public async Task Annotator_CannotReachAdminPages()
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        await BpoAppFactory.AssertAccessDeniedAsync(client, "/admin/users");
        await BpoAppFactory.AssertAccessDeniedAsync(client, "/generate");
    }

    [Theory]
    [InlineData("/export")]
    [InlineData("/audit")]
    [InlineData("/datasets/1/dashboard")]
    [InlineData("/datasets/1/versions")]
    [InlineData("/datasets/1/triage")]
    [InlineData("/exports/1/download")]
    [InlineData("/exports/1/manifest")]
    [InlineData("/audit/export.csv")]
    public async Task Annotator_CannotReachLeadPagesOrEndpoints(string path)
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        await BpoAppFactory.AssertAccessDeniedAsync(client, path);
    }

    [Fact]
    public async Task Lead_DownloadsTheAuditLogAsCsv_AndUnknownExportsAreNotFound()
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        var csv = await client.GetAsync("/audit/export.csv?kind=User");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd().Split('\n');
        Assert.Equal("at,kind,user,action,subject,details", lines[0]);
        Assert.Contains(lines, l => l.Contains("user.create") && l.Contains(BpoAppFactory.LeadEmail)); // the fixture created the lead
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/exports/99999/download")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/audit")).StatusCode);
    }

    [Fact]
    public async Task Lead_CannotManageUsers()
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await BpoAppFactory.AssertAccessDeniedAsync(client, "/admin/users");
    }

    [Fact]
    public async Task Admin_ReachesUserManagement()
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.AdminEmail, BpoAppFactory.AdminPassword);
        var response = await client.GetAsync("/admin/users");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Users and roles", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SignIn_RefusesOpenRedirect()
    {
        using var client = fixture.App.CreateAnonymousClient();
        var form = await client.GetStringAsync("/account/login?returnUrl=//evil.example/x");
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var response = await client.PostAsync("/account/login?returnUrl=//evil.example/x", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["Input.Email"] = BpoAppFactory.AnnotatorEmail,
            ["Input.Password"] = BpoAppFactory.UserPassword,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString.Replace(fixture.App.BaseAddress.ToString().TrimEnd('/'), ""));
    }
}
