using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace BpoStudio.Api;

/// <summary>
/// The HTTP API under <c>/api/v1</c>: personal tokens only (the sign-in cookie is not accepted), a rate limit per token,
/// every call audited, refusals as ProblemDetails. Each endpoint is one call of the service the pages and the CLI use.
/// </summary>
public static class ApiEndpoints
{
    public const string RateLimitPolicy = "api-token";

    public static IServiceCollection AddBpoApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAuthentication().AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiTokenAuthentication>(ApiTokenAuthentication.SchemeName, null);
        services.AddScoped<ApiCalls>();
        // Enums travel by name both ways ("operation": "Accept"), as in the OpenAPI document.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        var perMinute = configuration.GetValue("Api:RequestsPerMinute", 600);
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.User.FindFirst(ApiTokenAuthentication.TokenIdClaim)?.Value ?? "anonymous",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        services.AddOpenApi("v1", options => options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true);
        return services;
    }

    public static IEndpointRouteBuilder MapBpoApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiScopes.Read)
            .RequireRateLimiting(RateLimitPolicy)
            .AddEndpointFilter<ApiCalls>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapDatasetApi();
        api.MapRecordApi();
        api.MapPairApi();
        api.MapWorkflowApi();
        api.MapSpotCheckApi();
        api.MapJudgeApi();
        // An unknown path under /api is the API's 404, not the app's sign-in page.
        app.MapFallback("/api/{**rest}", (string rest) => Results.Problem(detail: $"There is no API endpoint /api/{rest}; see /openapi/v1.json.", statusCode: StatusCodes.Status404NotFound))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
