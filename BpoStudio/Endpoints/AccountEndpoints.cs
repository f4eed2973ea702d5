using BpoStudio.Core.Accounts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;

namespace BpoStudio.Endpoints;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Signing out deletes this browser's session row, so a copy of the cookie stops working too.
        // Minimal APIs check the antiforgery token only when they bind a form: these check it themselves, so a forged
        // cross-site post cannot sign anyone out. The menu's forms carry the token.
        app.MapPost("/account/logout", async (SignInManager<AppUser> signIn, IAntiforgery antiforgery, HttpContext http) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http)) return Results.BadRequest("The sign-out form's token is missing or invalid.");
            await signIn.SignOutAsync();
            return Results.LocalRedirect("/account/login");
        });
        app.MapPost("/account/logout-everywhere", async (SignInManager<AppUser> signIn, UserAdministration users, IAntiforgery antiforgery, HttpContext http) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http)) return Results.BadRequest("The sign-out form's token is missing or invalid.");
            await users.SignOutEverywhereAsync(http.User);
            await signIn.SignOutAsync();
            return Results.LocalRedirect("/account/login?signedOutEverywhere=true");
        });
        return app;
    }
}
