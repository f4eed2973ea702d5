using System.Net;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Web;

[Collection(WebCollection.Name)]
public class HardeningTests(AppFixture fixture)
{
    [Theory]
    [InlineData("/account/login")]
    [InlineData("/")]
    [InlineData("/images/not-a-hash")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css")]
    public async Task EveryResponse_CarriesTheSecurityHeaders_AndNoServerHeader(string path)
    {
        using var client = fixture.App.CreateAnonymousClient();
        var response = await client.GetAsync(path);

        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)));
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task TheAppShellHasNoInlineScript_SoTheCspNeedsNoHashes()
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        var html = await client.GetStringAsync("/");
        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "<script(?<attrs>[^>]*)>");
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.Contains("src=", s.Groups["attrs"].Value));
    }

    [Theory]
    [InlineData("/datasets?q=über", "/datasets?q=%C3%BCber")]
    [InlineData("/datasets/1/review?search=公交车", "/datasets/1/review?search=%E5%85%AC%E4%BA%A4%E8%BD%A6")]
    [InlineData("//evil.example/x", "/")]
    public async Task SignIn_WithANonAsciiReturnUrl_RedirectsEncoded_NeverFails(string returnUrl, string expected)
    {
        using var client = fixture.App.CreateAnonymousClient();
        var response = await BpoAppFactory.PostSignInAsync(client, BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword, returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expected, response.Headers.Location!.OriginalString);
    }
}
