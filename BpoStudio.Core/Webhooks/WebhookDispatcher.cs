using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>The waits before each retry, comma separated; after the last one a delivery is marked failed.</summary>
    public string RetrySeconds { get; set; } = "10,60,300,1800";

    public double[] RetryWaits => [.. RetrySeconds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(s => double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : -1)];
    public double PollSeconds { get; set; } = 5;

    /// <summary>How long a receiver has to answer (the Standard Webhooks convention is about 15 to 20 s).</summary>
    public double TimeoutSeconds { get; set; } = 20;
}

/// <summary>
/// Sends recorded deliveries the Standard Webhooks way (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature:
/// v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c>), retrying with backoff; a 2xx answer delivers. Each delivery is
/// claimed through the database first, so several instances never send one twice at once. It also turns finished jobs
/// (and exports) into events.
/// </summary>
public sealed class WebhookDispatcher(IDbContextFactory<BpoDbContext> dbFactory, WebhookService webhooks, WebhookSignal signal, JobProgressNotifier jobs,
    IOptions<WebhookOptions> options, TimeProvider clock, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Channel<JobSnapshot> _finishedJobs = Channel.CreateUnbounded<JobSnapshot>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = jobs.Subscribe(job =>
        {
            if (job.Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled) _finishedJobs.Writer.TryWrite(job);
        });
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (_finishedJobs.Reader.TryRead(out var job)) await RaiseJobAsync(job, stoppingToken);
                while (await SendDueAsync(stoppingToken) > 0) { }
                await signal.WaitAsync(TimeSpan.FromSeconds(options.Value.PollSeconds), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Sending webhooks failed; trying again shortly");
                await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), stoppingToken);
            }
        }
    }

    private async Task RaiseJobAsync(JobSnapshot job, CancellationToken ct)
    {
        var data = new { jobId = job.Id, kind = job.Kind.ToString(), status = job.Status.ToString(), job.ItemsDone, job.ItemsFailed, job.Error, job.FinishedAt };
        await webhooks.RaiseAsync(WebhookEvents.JobFinished, data, ct);
        if (job.Kind == JobKind.Export)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var export = await db.Exports.AsNoTracking().Where(e => e.JobId == job.Id)
                .Select(e => new { e.Id, e.DatasetId, e.Format, e.PairsWritten, e.PairsSkipped }).FirstOrDefaultAsync(ct);
            if (export is not null)
                await webhooks.RaiseAsync(WebhookEvents.ExportFinished, new { exportId = export.Id, export.DatasetId, export.Format, status = job.Status.ToString(),
                    export.PairsWritten, export.PairsSkipped, download = job.Status == JobStatus.Completed ? $"/api/v1/exports/{export.Id}/download" : null }, ct);
        }
    }

    /// <summary>Sends what is due now; returns how many it tried.</summary>
    internal async Task<int> SendDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await (from d in db.WebhookDeliveries
                         where d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now
                         join s in db.WebhookSubscriptions on d.SubscriptionId equals s.Id
                         orderby d.Id
                         select new { d.Id, d.MessageId, d.PayloadJson, d.Attempts, d.NextAttemptAt, s.Url, s.Secret }).Take(20).ToListAsync(ct);
        foreach (var delivery in due)
        {
            var timeout = TimeSpan.FromSeconds(options.Value.TimeoutSeconds);
            // The claim: whoever moves the attempt time first sends it.
            var claimed = await db.WebhookDeliveries.Where(d => d.Id == delivery.Id && d.Status == DeliveryStatus.Pending && d.NextAttemptAt == delivery.NextAttemptAt)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now + timeout * 2), ct);
            if (claimed == 0) continue;
            var (code, error) = await SendAsync(delivery.Url, delivery.Secret, delivery.MessageId, delivery.PayloadJson, timeout, ct);
            var attempts = delivery.Attempts + 1;
            var retries = options.Value.RetryWaits;
            var delivered = code is >= 200 and < 300;
            var status = delivered ? DeliveryStatus.Delivered : attempts > retries.Length ? DeliveryStatus.Failed : DeliveryStatus.Pending;
            var next = status == DeliveryStatus.Pending ? clock.GetUtcNow().UtcDateTime.AddSeconds(retries[attempts - 1]) : clock.GetUtcNow().UtcDateTime;
            await db.WebhookDeliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Attempts, attempts).SetProperty(d => d.Status, status).SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.LastStatusCode, code).SetProperty(d => d.LastError, error)
                .SetProperty(d => d.DeliveredAt, delivered ? clock.GetUtcNow().UtcDateTime : null), ct);
        }
        return due.Count;
    }

    private async Task<(int? Code, string? Error)> SendAsync(string url, string secret, string messageId, string body, TimeSpan timeout, CancellationToken ct)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", timestamp);
        request.Headers.Add("webhook-signature", "v1," + Sign(secret, messageId, timestamp, body));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await _http.SendAsync(request, limit.Token);
            return ((int)response.StatusCode, response.IsSuccessStatusCode ? null : $"the receiver answered {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException || ex is OperationCanceledException && !ct.IsCancellationRequested)
        {
            return (null, ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : ex.Message);
        }
    }

    /// <summary>The Standard Webhooks signature: HMAC-SHA256 keyed by the secret's bytes over "id.timestamp.body", in base64.</summary>
    public static string Sign(string secret, string messageId, string timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}")));
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}
