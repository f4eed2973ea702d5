using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Webhooks;
using BpoStudio.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Webhooks;

/// <summary>Events leave the real app for a real receiver on loopback: signed, retried until answered, logged.</summary>
public class WebhookTests : IAsyncLifetime
{
    private BpoAppFactory _app = null!;
    private WebApplication _receiver = null!;
    private readonly ConcurrentQueue<(string Id, string Timestamp, string Signature, string Body)> _received = new();
    private int _failuresLeft = 2;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _receiver = builder.Build();
        _receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Decrement(ref _failuresLeft) >= 0) return Results.StatusCode(503); // down for its first two calls
            _received.Enqueue((request.Headers["webhook-id"]!, request.Headers["webhook-timestamp"]!, request.Headers["webhook-signature"]!, body));
            return Results.Ok();
        });
        await _receiver.StartAsync();
        _app = await new BpoAppFactory().With("Webhooks:RetrySeconds", "0.2,0.2,0.2").With("Webhooks:PollSeconds", "0.2").StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task AnApprovedVersion_ReachesTheReceiver_SignedAndRetriedUntilItAnswers()
    {
        var webhooks = _app.Services.GetRequiredService<WebhookService>();
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => webhooks.CreateAsync(TestPrincipals.Lead, "http://127.0.0.1/x", [WebhookEvents.VersionApproved]));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => webhooks.CreateAsync(TestPrincipals.Admin, "ftp://nowhere", [WebhookEvents.VersionApproved]));
        var hook = await webhooks.CreateAsync(TestPrincipals.Admin, _receiver.Urls.First() + "/hook", [WebhookEvents.VersionApproved]);

        var datasets = await _app.Services.GetRequiredService<Core.Datasets.DatasetQueries>().ListAsync();
        var dataset = datasets.Single(d => d.Name == Core.Datasets.Demo.DemoSeeder.DatasetName).Id;
        await using (var db = await _app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Core.Data.BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.Where(p => p.DatasetId == dataset).Take(2).ExecuteUpdateAsync(
                s => s.SetProperty(p => p.Status, Core.Datasets.PairStatus.Accepted));
        await _app.Services.GetRequiredService<ApprovalService>().ApproveAsync(dataset, TestPrincipals.Lead, "for the hook");

        // The receiver holds the body before the sender has read its 200 and logged the delivery: wait for both.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((_received.IsEmpty || (await webhooks.DeliveriesAsync(TestPrincipals.Admin, hook.Id)).Any(d => d.Status == DeliveryStatus.Pending))
               && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        var (id, timestamp, signature, body) = Assert.Single(_received);
        Assert.Equal("v1," + WebhookDispatcher.Sign(hook.Secret, id, timestamp, body), signature);
        using var payload = JsonDocument.Parse(body);
        Assert.Equal(WebhookEvents.VersionApproved, payload.RootElement.GetProperty("type").GetString());
        Assert.Equal(2, payload.RootElement.GetProperty("data").GetProperty("pairCount").GetInt32());

        var delivery = Assert.Single(await webhooks.DeliveriesAsync(TestPrincipals.Admin, hook.Id));
        Assert.Equal((DeliveryStatus.Delivered, 3, 200), (delivery.Status, delivery.Attempts, delivery.LastStatusCode));
        Assert.Equal(id, delivery.MessageId); // the same id on every retry, so a receiver can drop repeats
    }

    [Fact]
    public async Task AReceiverThatNeverAnswers_EndsFailedAfterItsRetries_AndAnExportFinishing_IsAnEvent()
    {
        var webhooks = _app.Services.GetRequiredService<WebhookService>();
        var dead = await webhooks.CreateAsync(TestPrincipals.Admin, "http://127.0.0.1:9/nothing-listens", [WebhookEvents.JobFinished]);
        var alive = await webhooks.CreateAsync(TestPrincipals.Admin, _receiver.Urls.First() + "/hook", [WebhookEvents.ExportFinished]);
        _failuresLeft = 0;
        var datasets = await _app.Services.GetRequiredService<Core.Datasets.DatasetQueries>().ListAsync();
        var dataset = datasets.Single(d => d.Name == Core.Datasets.Demo.DemoSeeder.DatasetName).Id;
        await using (var db = await _app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Core.Data.BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.Where(p => p.DatasetId == dataset).Take(2).ExecuteUpdateAsync(
                s => s.SetProperty(p => p.Status, Core.Datasets.PairStatus.Accepted));
        var export = await _app.Services.GetRequiredService<Core.Export.ExportService>().StartAsync(new Core.Export.ExportOptions(dataset, null, Core.Export.ExportFormat.Trl), TestPrincipals.Lead);
        await _app.Services.GetRequiredService<Core.Jobs.JobService>().RunHereAsync(export.JobId!.Value);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((_received.IsEmpty || (await webhooks.DeliveriesAsync(TestPrincipals.Admin, dead.Id)).Any(d => d.Status == DeliveryStatus.Pending)) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        using var payload = JsonDocument.Parse(Assert.Single(_received).Body);
        Assert.Equal((WebhookEvents.ExportFinished, export.Id), (payload.RootElement.GetProperty("type").GetString(), payload.RootElement.GetProperty("data").GetProperty("exportId").GetInt64()));
        var failed = Assert.Single(await webhooks.DeliveriesAsync(TestPrincipals.Admin, dead.Id));
        Assert.Equal((DeliveryStatus.Failed, 4), (failed.Status, failed.Attempts));
        Assert.NotNull(failed.LastError);
        Assert.Contains(await webhooks.ListAsync(TestPrincipals.Admin), w => w.Id == dead.Id && w.Failed == 1);
        Assert.Equal(DeliveryStatus.Delivered, Assert.Single(await webhooks.DeliveriesAsync(TestPrincipals.Admin, alive.Id)).Status);
    }
}
