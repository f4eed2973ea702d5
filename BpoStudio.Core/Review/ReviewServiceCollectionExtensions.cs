using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BpoStudio.Core.Review;

public static class ReviewServiceCollectionExtensions
{
    /// <summary>The queue and its reservations, decisions, assignment; options checked at start.</summary>
    public static IServiceCollection AddReview(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ReviewQueueOptions>().BindConfiguration(ReviewQueueOptions.Section)
            .Validate(o => o.ReservationSeconds is >= 10 and <= 86_400, "Review:ReservationSeconds must lie between 10 and 86400.")
            .ValidateOnStart();
        services.AddSingleton<ReviewQueries>();
        services.AddSingleton<ReviewQueue>();
        services.AddSingleton<ReviewService>();
        services.AddSingleton<AssignmentService>();
        services.AddSingleton<PairListing>();
        return services;
    }
}
