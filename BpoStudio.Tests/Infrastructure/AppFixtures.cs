namespace BpoStudio.Tests.Infrastructure;

/// <summary>One running app shared by a collection's HTTP tests.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public BpoAppFactory App { get; } = new();

    public async Task InitializeAsync() => await App.StartAsync();

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>A running app and one Chromium, shared by the browser tests.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public BpoAppFactory App { get; } = new();
    public BrowserSession Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await App.StartAsync();
        Browser = await BrowserSession.LaunchAsync();
    }

    /// <summary>A fresh browser context signed in as the given user, its circuit interactive.</summary>
    public async Task<Microsoft.Playwright.IPage> SignedInPageAsync(string email, string password)
    {
        var page = await Browser.NewPageAsync(App.BaseAddress);
        await BrowserSession.SignInAsync(page, email, password);
        return page;
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "web";
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
