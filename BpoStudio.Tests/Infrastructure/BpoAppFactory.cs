using System.Net;
using System.Text.RegularExpressions;
using BpoStudio.Core.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Infrastructure;

/// <summary>The real app on in-process Kestrel at 127.0.0.1, over a fresh data folder with the demo seeded.</summary>
public sealed partial class BpoAppFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@bpostudio.local";
    public const string AdminPassword = "Test-Admin-Pass-1";
    public const string AnnotatorEmail = "annotator@example.test";
    public const string LeadEmail = "lead@example.test";
    public const string UserPassword = "Test-User-Pass-1";

    private readonly TestDataFolder _data = new();
    private readonly Dictionary<string, string?> _settings = new()
    {
        ["BpoStudio:Admin:Password"] = AdminPassword,
        ["BpoStudio:SeedDemo"] = "true",
        ["BpoStudio:SignInAttemptsPerMinute"] = "1000", // every test signs in from 127.0.0.1; the limit has its own test
    };

    public BpoAppFactory()
    {
        _settings["BpoStudio:DataDirectory"] = _data.Path;
        UseKestrel(0);
    }

    public string DataDirectory => _data.Path;
    public Uri BaseAddress { get; private set; } = null!;

    public BpoAppFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Starts Kestrel and creates an annotator and a lead beside the bootstrapped admin (unless another instance on the same database did).</summary>
    public async Task<BpoAppFactory> StartAsync(bool createUsers = true)
    {
        StartServer();
        BaseAddress = ClientOptions.BaseAddress;
        if (!createUsers) return this;
        await using var scope = Services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        await admin.CreateAsync(AnnotatorEmail, UserPassword, [Roles.Annotator], TestPrincipals.Admin);
        await admin.CreateAsync(LeadEmail, UserPassword, [Roles.Lead], TestPrincipals.Admin);
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    /// <summary>A client with its own cookie jar that does not follow redirects, so tests see them.</summary>
    public HttpClient CreateAnonymousClient() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = BaseAddress };

    /// <summary>Signs in through the real login form (antiforgery token included) and returns the signed-in client.</summary>
    public async Task<HttpClient> CreateSignedInClientAsync(string email, string password)
    {
        var client = CreateAnonymousClient();
        var response = await PostSignInAsync(client, email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in of {email} redirects (got {(int)response.StatusCode})");
        return client;
    }

    public static async Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string email, string password, string? returnUrl = null)
    {
        var path = returnUrl is null ? "/account/login" : "/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl);
        return await PostFormAsync(client, path, path, "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });
    }

    /// <summary>Posts a form the way a browser does: the antiforgery token from the page that holds the form, then the fields.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string pagePath, string action, string? handler, Dictionary<string, string> fields)
    {
        var page = await client.GetStringAsync(pagePath);
        var token = AntiforgeryToken().Match(page);
        Assert.True(token.Success, $"{pagePath} carries an antiforgery token");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        if (handler is not null) fields["_handler"] = handler;
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>The page exists but the signed-in role may not see it: a redirect to the access-denied page, never the page.</summary>
    public static async Task AssertAccessDeniedAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/access-denied", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
