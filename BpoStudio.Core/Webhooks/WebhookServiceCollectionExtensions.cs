using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BpoStudio.Core.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>Receivers, the outbox of deliveries and the dispatcher that sends them; retry waits checked at start.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .Validate(o => o.RetryWaits.All(s => s > 0) && o.PollSeconds > 0 && o.TimeoutSeconds > 0, "Webhooks: retry waits, poll and timeout seconds must be above zero.")
            .ValidateOnStart();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<WebhookDispatcher>();
        return services;
    }
}
