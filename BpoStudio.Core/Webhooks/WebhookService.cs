using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Webhooks;

public sealed record WebhookView(long Id, string Url, IReadOnlyList<string> Events, bool Active, DateTime CreatedAt, string? CreatedBy, int Pending, int Failed);

/// <summary>
/// Admins register receivers; features raise events, which become deliveries in the database (so none is lost when
/// the process stops) that <see cref="WebhookDispatcher"/> sends, signed, and retries.
/// </summary>
public sealed class WebhookService(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, TimeProvider clock, WebhookSignal signal)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>Registers a receiver and returns it with its secret, which the admin gives the receiver.</summary>
    public async Task<WebhookSubscription> CreateAsync(ClaimsPrincipal actor, string url, IReadOnlyCollection<string> events, CancellationToken ct = default)
    {
        actor.RequireAdmin("register webhooks");
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidInputError($"'{url}' is not an http or https URL.", "url");
        var unknown = events.Where(e => !WebhookEvents.All.Contains(e)).ToList();
        if (events.Count == 0 || unknown.Count > 0)
            throw new InvalidInputError($"Choose events among {string.Join(", ", WebhookEvents.All)}{(unknown.Count > 0 ? $"; '{string.Join("', '", unknown)}' is not one" : "")}.", "events");
        var subscription = new WebhookSubscription
        {
            Url = uri.ToString(), Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Events = string.Join(',', events.Distinct()),
            CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = actor.DisplayName(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.WebhookSubscriptions.Add(subscription);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), WebhookAudit.Create, $"webhook {subscription.Id}", $"{subscription.Url}: {subscription.Events}", ct);
        return subscription;
    }

    public async Task<IReadOnlyList<WebhookView>> ListAsync(ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireAdmin("see webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WebhookSubscriptions.AsNoTracking().OrderBy(s => s.Id).Select(s => new WebhookView(s.Id, s.Url, s.Events.Split(',', StringSplitOptions.None), s.Active, s.CreatedAt, s.CreatedBy,
            db.WebhookDeliveries.Count(d => d.SubscriptionId == s.Id && d.Status == DeliveryStatus.Pending),
            db.WebhookDeliveries.Count(d => d.SubscriptionId == s.Id && d.Status == DeliveryStatus.Failed))).ToListAsync(ct);
    }

    /// <summary>Stops sending to a receiver; its delivery log stays.</summary>
    public async Task DeactivateAsync(ClaimsPrincipal actor, long id, CancellationToken ct = default)
    {
        actor.RequireAdmin("change webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.WebhookSubscriptions.Where(s => s.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Active, false), ct) == 0)
            throw new NotFoundError($"There is no webhook {id}.");
        await db.WebhookDeliveries.Where(d => d.SubscriptionId == id && d.Status == DeliveryStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Failed).SetProperty(d => d.LastError, "the webhook was turned off"), ct);
        await audit.WriteAsync(actor.DisplayName(), WebhookAudit.Deactivate, $"webhook {id}", null, ct);
    }

    /// <summary>The latest deliveries, newest first: the admin page's delivery log.</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(ClaimsPrincipal actor, long? subscriptionId = null, int count = 100, CancellationToken ct = default)
    {
        actor.RequireAdmin("see webhook deliveries");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deliveries = db.WebhookDeliveries.AsNoTracking();
        if (subscriptionId is { } id) deliveries = deliveries.Where(d => d.SubscriptionId == id);
        return await deliveries.OrderByDescending(d => d.Id).Take(count).ToListAsync(ct);
    }

    /// <summary>Sends a test event to one receiver, so an admin sees the receiver answer before real events flow.</summary>
    public async Task SendTestAsync(ClaimsPrincipal actor, long id, CancellationToken ct = default)
    {
        actor.RequireAdmin("test webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.FirstOrDefaultAsync(s => s.Id == id, ct) ?? throw new NotFoundError($"There is no webhook {id}.");
        db.WebhookDeliveries.Add(Delivery(subscription.Id, WebhookEvents.Test, new { message = "a test from BpoStudio", by = actor.DisplayName() }));
        await db.SaveChangesAsync(ct);
        signal.Wake();
    }

    /// <summary>Records an event for every active receiver that wants it; sending happens in the background.</summary>
    public async Task RaiseAsync(string eventType, object data, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var receivers = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.Active).Select(s => new { s.Id, s.Events }).ToListAsync(ct);
        var wanting = receivers.Where(r => r.Events.Split(',').Contains(eventType)).ToList();
        if (wanting.Count == 0) return;
        db.WebhookDeliveries.AddRange(wanting.Select(r => Delivery(r.Id, eventType, data)));
        await db.SaveChangesAsync(ct);
        signal.Wake();
    }

    private WebhookDelivery Delivery(long subscriptionId, string eventType, object data)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new WebhookDelivery
        {
            SubscriptionId = subscriptionId, MessageId = "msg_" + Guid.NewGuid().ToString("N"), EventType = eventType, CreatedAt = now, NextAttemptAt = now,
            PayloadJson = JsonSerializer.Serialize(new { type = eventType, timestamp = now, data }, Json),
        };
    }
}

/// <summary>Wakes the dispatcher when an event was recorded, so deliveries leave at once rather than at the next poll.</summary>
public sealed class WebhookSignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _wake.WaitAsync(timeout, ct);
}
