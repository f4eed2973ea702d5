using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
namespace BpoStudio.Tests.Infrastructure;

/// <summary>One running app shared by a collection's HTTP tests.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public BpoAppFactory App { get; } = new();

    public async Task InitializeAsync() => await App.StartAsync();

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>A running app and one Chromium, shared by the browser tests; the app's judge is a scripted loopback server.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public BpoAppFactory App { get; } = new();
    public BrowserSession Browser { get; private set; } = null!;

    /// <summary>The judge the app is configured with: truthful about which answer says red (see JudgeTestData).</summary>
    public ScriptedChatServer Judge { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Judge = await ScriptedChatServer.StartAsync();
        Judge.Fallback = Judging.JudgeTestData.TruthfulClaims; // truthful in pairwise mode too
        await App.With("Judge:OpenAI:BaseUrl", Judge.BaseUrl).With("Judge:OpenAI:Model", "judge-vl").StartAsync();
        Browser = await BrowserSession.LaunchAsync();
    }

    /// <summary>A fresh browser context signed in as the given user, its circuit interactive.</summary>
    public async Task<Microsoft.Playwright.IPage> SignedInPageAsync(string email, string password)
    {
        var page = await Browser.NewPageAsync(App.BaseAddress);
        await BrowserSession.SignInAsync(page, email, password);
        return page;
    }

    /// <summary>
    /// A dataset of the test's own (the demo's queue belongs to the other browser tests) holding these samples, each
    /// with the pairs its responses make. Returns its id.
    /// </summary>
    public async Task<int> NewDatasetAsync(string label, params Core.Datasets.Sample[] samples)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<Core.Data.BpoDbContext>>().CreateDbContextAsync();
        var dataset = new Core.Datasets.Dataset { Name = $"{label} {Guid.NewGuid():N}"[..24], CreatedAt = DateTime.UtcNow, CreatedBy = "test" };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync();
        foreach (var sample in samples) (sample.DatasetId, sample.CreatedAt) = (dataset.Id, DateTime.UtcNow);
        db.Samples.AddRange(samples);
        await db.SaveChangesAsync();
        foreach (var sample in samples) db.Pairs.AddRange(Core.Datasets.PairBuilder.Build(dataset.Id, sample.Id, sample.Responses));
        await db.SaveChangesAsync();
        return dataset.Id;
    }

    /// <summary>A demo scene stored in the app's image store and catalogued; returns its hash.</summary>
    public async Task<string> StoreImageAsync(int scene)
    {
        var stored = await App.Services.GetRequiredService<Core.Storage.ImageStore>().PutAsync(Core.Datasets.Demo.DemoScene.Generate(scene).RenderPng());
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<Core.Data.BpoDbContext>>().CreateDbContextAsync();
        await Core.Storage.ImageCatalog.AddIfMissingAsync(db, stored, DateTime.UtcNow);
        return stored.Hash;
    }

    /// <summary>A new annotator of the test's own, signed in.</summary>
    public async Task<Microsoft.Playwright.IPage> NewAnnotatorPageAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<Core.Accounts.UserAdministration>()
            .CreateAsync($"{Guid.NewGuid():N}@example.test", BpoAppFactory.UserPassword, [Core.Accounts.Roles.Annotator], TestPrincipals.Admin);
        return await SignedInPageAsync(user.Email, BpoAppFactory.UserPassword);
    }

    /// <summary>
    /// Clicks the Export page's start button and waits until that export's own row says Completed; returns its id. The
    /// shared app's history lists other tests' exports too, so its first row may be an older, finished one.
    /// </summary>
    public async Task<long> StartExportAsync(Microsoft.Playwright.IPage page)
    {
        var dbFactory = App.Services.GetRequiredService<IDbContextFactory<Core.Data.BpoDbContext>>();
        async Task<long> NewestAsync()
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            return await db.Exports.MaxAsync(e => (long?)e.Id) ?? 0;
        }
        var before = await NewestAsync();
        await page.GetByTestId("start-export").ClickAsync();
        var started = DateTime.UtcNow;
        long id;
        while ((id = await NewestAsync()) == before)
        {
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(20)) throw new TimeoutException("No export was started within 20 s of clicking Start.");
            await Task.Delay(100);
        }
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId($"export-status-{id}")).ToHaveTextAsync("Completed", new() { Timeout = 30_000 });
        return id;
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await App.DisposeAsync();
        await Judge.DisposeAsync();
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
