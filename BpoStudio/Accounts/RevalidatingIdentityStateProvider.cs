using System.Security.Claims;
using BpoStudio.Core.Accounts;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace BpoStudio.Accounts;

/// <summary>
/// Re-checks a live circuit's user every <see cref="AccountSecurity.RevalidationInterval"/>: the session must still
/// exist, the account must not be locked and its security stamp must not have changed (roles, password, "sign out
/// everywhere"). Otherwise the circuit becomes anonymous and every page and service refuses it.
/// </summary>
public sealed class RevalidatingIdentityStateProvider(ILoggerFactory loggers, IServiceScopeFactory scopes, DatabaseTicketStore sessions, IOptions<IdentityOptions> identity)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => AccountSecurity.RevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        var principal = state.User;
        if (principal.Identity?.IsAuthenticated != true) return true;
        if (DatabaseTicketStore.SessionIdOf(principal) is not { } session || !await sessions.ExistsAsync(session, ct)) return false;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.GetUserAsync(principal);
        if (user is null || await users.IsLockedOutAsync(user)) return false;
        var stamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return stamp == await users.GetSecurityStampAsync(user);
    }
}
