namespace BpoStudio.Core.Webhooks;

/// <summary>The audit log's action names for webhooks: written here, searched and filtered on the Audit page.</summary>
public static class WebhookAudit
{
    public const string Create = "webhook.create";
    public const string Deactivate = "webhook.deactivate";
}
