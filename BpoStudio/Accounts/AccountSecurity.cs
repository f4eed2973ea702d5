using Microsoft.AspNetCore.HttpOverrides;
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
        if (perMinute < 1) throw new InvalidOperationException("BpoStudio:SignInAttemptsPerMinute must be at least 1.");
        services.AddSingleton(sp => new SignInThrottle(sp.GetRequiredService<TimeProvider>(), perMinute));
        services.AddAntiforgery(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest); // Secure behind a TLS proxy too

        // Behind a TLS proxy: the client's address (for the sign-in limits) and scheme (Secure cookies) come from the
        // forwarded headers of the proxies named in BpoStudio:KnownProxies; loopback is always trusted.
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in configuration.GetSection("BpoStudio:KnownProxies").Get<string[]>() ?? [])
                options.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
        });
        return services;
    }

    /// <summary>
    /// A sign-in always starts a new session (no session fixation). The sign-in page is handled as if the browser held no
    /// session: its form's antiforgery token is issued to nobody, and a sign-in post that arrives with a session cookie
    /// ends that session first, so the cookie handler stores a fresh key instead of renewing the old one for the new user.
    /// </summary>
    public static IApplicationBuilder UseFreshSessionOnSignIn(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path.Equals(SignInPath, StringComparison.OrdinalIgnoreCase))
        {
            var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<CookieAuthenticationOptions>>().Get(IdentityConstants.ApplicationScheme);
            var cookie = options.CookieManager.GetRequestCookie(context, options.Cookie.Name!);
            if (cookie is not null)
            {
                var sessionKey = HttpMethods.IsPost(context.Request.Method) ? options.TicketDataFormat.Unprotect(cookie)?.Principal.FindFirst(SessionIdClaim)?.Value : null;
                if (sessionKey is not null) await context.RequestServices.GetRequiredService<DatabaseTicketStore>().RemoveAsync(sessionKey);
                var others = context.Request.Cookies.Where(c => !c.Key.StartsWith(options.Cookie.Name!, StringComparison.Ordinal))
                    .Select(c => $"{c.Key}={Uri.EscapeDataString(c.Value)}");
                context.Request.Headers.Cookie = string.Join("; ", others);
            }
        }
        await next();
    });

    // Where the cookie handler keeps the session-store key inside the cookie's ticket.
    private const string SessionIdClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

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
