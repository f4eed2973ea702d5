using BpoStudio.Accounts;
using BpoStudio.Api;
using BpoStudio.Components;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Endpoints;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using MudBlazor;
using MudBlazor.Services;

namespace BpoStudio;

public static class WebExtensions
{
    public static WebApplicationBuilder AddBpoStudioWeb(this WebApplicationBuilder builder)
    {
        // Serves wwwroot-assets and package assets from their build locations outside Development too.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices(config =>
        {
            config.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            config.SnackbarConfiguration.PreventDuplicates = false;
        });

        services.AddCascadingAuthenticationState();
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        new IdentityBuilder(typeof(AppUser), typeof(IdentityRole), services).AddSignInManager();
        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/account/login";
            options.AccessDeniedPath = "/account/access-denied";
            options.Cookie.Name = "BpoStudio.Auth";
            options.Cookie.HttpOnly = true;
            options.SlidingExpiration = true;
            options.Events.OnRedirectToLogin = context => RefuseApiOrRedirect(context, StatusCodes.Status401Unauthorized);
            options.Events.OnRedirectToAccessDenied = context => RefuseApiOrRedirect(context, StatusCodes.Status403Forbidden);
            // The sign-in page redirects by itself, percent-encoded; the handler's own redirect would put a raw "ü" in Location.
            options.Events.OnRedirectToReturnUrl = _ => Task.CompletedTask;
        });

        services.AddAccountSecurity(builder.Configuration);
        services.AddBpoApi(builder.Configuration);

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Review, policy => policy.RequireRole(Roles.Annotator, Roles.Lead, Roles.Admin))
            .AddPolicy(Policies.Lead, policy => policy.RequireRole(Roles.Lead, Roles.Admin))
            .AddPolicy(Policies.Admin, policy => policy.RequireRole(Roles.Admin))
            .AddApiScopes();

        // First of all hosted services: data protection loads its keys from the database as it starts.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, DatabaseMigratorService>());
        // After the migrator: the runner recovers interrupted jobs from the database as it starts.
        services.AddHostedService(sp => sp.GetRequiredService<BpoStudio.Core.Jobs.JobRunner>());
        services.AddHostedService(sp => sp.GetRequiredService<BpoStudio.Core.Webhooks.WebhookDispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<BpoStudio.Core.Datasets.SearchIndexer>());
        return builder;
    }

    public static WebApplication UseBpoStudioWeb(this WebApplication app)
    {
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/error", createScopeForErrors: true);

        app.UseForwardedHeaders();
        app.UseFreshSessionOnSignIn();
        app.UseAuthentication();
        app.UsePasswordChangeGate();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();

        // Framework and app CSS/JS carry no user data; the sign-in page needs them before sign-in.
        app.MapStaticAssets().AllowAnonymous();
        app.MapImageEndpoints();
        app.MapAccountEndpoints();
        app.MapExportEndpoints();
        app.MapAuditEndpoints();
        app.MapImportEndpoints();
        app.MapBpoApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var address in app.Urls)
                app.Logger.LogInformation("BpoStudio is running: sign in at {Address}/account/login", address);
        });
        return app;
    }

    // APIs and images answer with a status code; pages redirect to the sign-in or access-denied page.
    private static Task RefuseApiOrRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/images") || path.StartsWithSegments("/_blazor"))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
