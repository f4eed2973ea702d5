using System.Net.Http.Headers;
using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Api;

/// <summary>The real app on Kestrel (SQLite, or PostgreSQL in the subclasses) with helpers to make tokens and call the API.</summary>
public abstract class ApiTestHost : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected virtual void Configure(BpoAppFactory app) { }

    private PostgresDatabase? _postgres;
    protected BpoAppFactory App { get; private set; } = null!;
    protected T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async Task InitializeAsync()
    {
        var app = new BpoAppFactory();
        if (Provider == DatabaseProvider.Postgres)
        {
            _postgres = await PostgresDatabase.CreateAsync();
            app.With("BpoStudio:Database", "Postgres").With("ConnectionStrings:BpoStudio", _postgres.ConnectionString);
        }
        Configure(app);
        App = await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }

    /// <summary>A new token for the user, made as the CLI makes them; its secret is shown this once.</summary>
    protected async Task<string> TokenAsync(string email, TokenScope scope, int? days = null) =>
        (await Get<ApiTokenService>().CreateAsync(ActorChecks.CommandLine, email, $"test {scope}", scope, days)).Secret;

    protected HttpClient Client(string? token)
    {
        var client = App.CreateAnonymousClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected async Task<int> DemoDatasetIdAsync()
    {
        var datasets = await Get<Core.Datasets.DatasetQueries>().ListAsync();
        return datasets.Single(d => d.Name == Core.Datasets.Demo.DemoSeeder.DatasetName).Id;
    }
}
