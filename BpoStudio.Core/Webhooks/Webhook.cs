namespace BpoStudio.Core.Webhooks;

/// <summary>What a receiver can subscribe to.</summary>
public static class WebhookEvents
{
    public const string VersionApproved = "version.approved";
    public const string ExportFinished = "export.finished";
    public const string JobFinished = "job.finished";
    public const string BulkApplied = "bulk.applied";
    public const string Test = "webhook.test";

    public static readonly IReadOnlyList<string> All = [VersionApproved, ExportFinished, JobFinished, BulkApplied];
}

/// <summary>A receiver of events: a URL, the secret its deliveries are signed with, and the events it wants.</summary>
public class WebhookSubscription
{
    public long Id { get; set; }
    public required string Url { get; set; }

    /// <summary>"whsec_" and base64 of 32 random bytes, as the Standard Webhooks spec writes secrets; the key is the bytes.</summary>
    public required string Secret { get; set; }

    /// <summary>Event types, comma separated.</summary>
    public required string Events { get; set; }
    public bool Active { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

public enum DeliveryStatus
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>One event for one receiver: written with the event (an outbox), sent and retried by the dispatcher, kept as the delivery log.</summary>
public class WebhookDelivery
{
    public long Id { get; set; }
    public long SubscriptionId { get; set; }

    /// <summary>The Standard Webhooks message id, the same on every retry so a receiver can drop repeats.</summary>
    public required string MessageId { get; set; }
    public required string EventType { get; set; }
    public required string PayloadJson { get; set; }
    public DateTime CreatedAt { get; set; }
    public DeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTime? DeliveredAt { get; set; }
}
