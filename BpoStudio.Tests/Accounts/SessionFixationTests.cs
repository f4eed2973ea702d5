using System.Net;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Accounts;

/// <summary>A browser's earlier session never becomes someone else's, and sign-out is not forgeable.</summary>
[Collection(WebCollection.Name)]
public class SessionFixationTests(AppFixture fixture)
{
    private const string CookieName = "BpoStudio.Auth";

    private HttpClient ClientWith(CookieContainer jar) =>
        new(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = fixture.App.BaseAddress };

    private static string? AuthCookie(CookieContainer jar, Uri address) =>
        jar.GetCookies(address).FirstOrDefault(c => c.Name.StartsWith(CookieName, StringComparison.Ordinal))?.Value;

    private async Task<HttpStatusCode> HomeWithOnlyAsync(string cookie)
    {
        var jar = new CookieContainer();
        jar.Add(fixture.App.BaseAddress, new Cookie(CookieName, cookie));
        using var client = ClientWith(jar);
        return (await client.GetAsync("/")).StatusCode;
    }

    [Fact]
    public async Task SigningInOverAnotherUsersSession_MakesANewSession_AndTheOldCookieIsDead()
    {
        var jar = new CookieContainer();
        using var browser = ClientWith(jar);
        await BpoAppFactory.PostSignInAsync(browser, BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        var annotatorCookie = AuthCookie(jar, fixture.App.BaseAddress)!;
        Assert.Equal(HttpStatusCode.OK, await HomeWithOnlyAsync(annotatorCookie));

        Assert.Equal(HttpStatusCode.Redirect, (await BpoAppFactory.PostSignInAsync(browser, BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword)).StatusCode);
        var leadCookie = AuthCookie(jar, fixture.App.BaseAddress)!;

        Assert.NotEqual(annotatorCookie, leadCookie);
        Assert.Equal(HttpStatusCode.Redirect, await HomeWithOnlyAsync(annotatorCookie)); // to sign-in: the kept cookie is nobody now
        var asLead = ClientWith(new CookieContainer());
        asLead.DefaultRequestHeaders.Add("Cookie", $"{CookieName}={leadCookie}");
        Assert.Contains(BpoAppFactory.LeadEmail, await asLead.GetStringAsync("/"));
    }

    [Theory]
    [InlineData("/account/logout")]
    [InlineData("/account/logout-everywhere")]
    public async Task SignOut_WithoutTheFormsToken_IsRefused_AndTheSessionLives(string path)
    {
        var jar = new CookieContainer();
        using var client = ClientWith(jar);
        await BpoAppFactory.PostSignInAsync(client, BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        var forged = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent([]) };
        forged.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(forged)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);

        var signedOut = await BpoAppFactory.PostFormAsync(client, "/", path, handler: null, []);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task BehindATlsProxy_TheCookiesAreSecure()
    {
        using var client = ClientWith(new CookieContainer());
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var page = await client.GetAsync("/account/login");
        var cookies = page.Headers.GetValues("Set-Cookie").ToList();
        Assert.NotEmpty(cookies);
        Assert.All(cookies, c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
    }
}
