using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Feedback;

public static class FeedbackServiceCollectionExtensions
{
    /// <summary>Error spans, pair weights and ratings per aspect.</summary>
    public static IServiceCollection AddFeedback(this IServiceCollection services)
    {
        services.AddSingleton<ErrorSpanService>();
        services.AddSingleton<PairWeights>();
        services.AddSingleton<RatingService>();
        return services;
    }
}
