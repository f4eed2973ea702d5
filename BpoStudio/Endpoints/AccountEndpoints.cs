using BpoStudio.Core.Accounts;
using Microsoft.AspNetCore.Identity;

namespace BpoStudio.Endpoints;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Signing out deletes this browser's session row, so a copy of the cookie stops working too.
        app.MapPost("/account/logout", async (SignInManager<AppUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/account/login");
        });
        app.MapPost("/account/logout-everywhere", async (SignInManager<AppUser> signIn, UserAdministration users, HttpContext http) =>
        {
            await users.SignOutEverywhereAsync(http.User);
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/account/login?signedOutEverywhere=true");
        });
        return app;
    }
}
