using System.Threading.RateLimiting;
using BpoStudio.Core.Accounts;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace BpoStudio.Accounts;

/// <summary>How sign-in is kept revocable: server-side sessions, stamp checks on cookies and circuits, a sign-in rate limit.</summary>
public static class AccountSecurity
{
    /// <summary>How often cookies and live circuits are re-checked; what revocation can take at most.</summary>
    public static readonly TimeSpan RevalidationInterval = TimeSpan.FromSeconds(10);

    public const string SignInPath = "/account/login";

    public static IServiceCollection AddAccountSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<DatabaseTicketStore>((options, store) => options.SessionStore = store);
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = RevalidationInterval);
        services.AddScoped<AuthenticationStateProvider, RevalidatingIdentityStateProvider>();

        var perMinute = configuration.GetValue("BpoStudio:SignInAttemptsPerMinute", 10);
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(SignInPath, StringComparison.OrdinalIgnoreCase)
                    ? RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                    : RateLimitPartition.GetNoLimiter(""));
            options.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                await context.HttpContext.Response.WriteAsync($"Too many sign-in attempts from this address; wait a minute and try again (BpoStudio:SignInAttemptsPerMinute is {perMinute}).", ct);
            };
        });
        return services;
    }

    /// <summary>
    /// A user whose password was generated or reset by an admin reaches nothing but the change-password page (and
    /// sign-out) until it is changed.
    /// </summary>
    public static IApplicationBuilder UsePasswordChangeGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path;
        var open = path.StartsWithSegments("/account") || context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null; // scripts and styles
        if (context.User.MustChangePassword() && !open)
        {
            if (path.StartsWithSegments("/api") || path.StartsWithSegments("/images") || path.StartsWithSegments("/_blazor"))
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
            else
                context.Response.Redirect("/account/password");
            return;
        }
        await next();
    });
}
