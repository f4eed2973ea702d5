using System.Security.Claims;
using System.Security.Cryptography;
using BpoStudio.Core.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Accounts;

/// <summary>Sign-in tickets kept server-side in <see cref="UserSession"/> rows, so a session can be ended from the server.</summary>
public sealed class DatabaseTicketStore(IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock) : ITicketStore
{
    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        WithSessionClaim(ticket, id);
        await using var db = await dbFactory.CreateDbContextAsync();
        db.UserSessions.Add(new UserSession
        {
            Id = id,
            UserId = ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
            Ticket = TicketSerializer.Default.Serialize(ticket),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            ExpiresAt = ticket.Properties.ExpiresUtc?.UtcDateTime,
        });
        await db.SaveChangesAsync();
        return id;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        WithSessionClaim(ticket, key); // a principal refreshed by the stamp validator comes without it
        await using var db = await dbFactory.CreateDbContextAsync();
        // A session ended meanwhile stays ended: renewing never brings a deleted row back. A session never changes hands:
        // a ticket for another user than the session's is not stored (sign-in always makes a new session).
        var userId = ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        await db.UserSessions.Where(s => s.Id == key && s.UserId == userId).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.Ticket, TicketSerializer.Default.Serialize(ticket))
            .SetProperty(x => x.ExpiresAt, ticket.Properties.ExpiresUtc.HasValue ? ticket.Properties.ExpiresUtc.Value.UtcDateTime : null));
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var session = await db.UserSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == key);
        if (session is null) return null;
        if (session.ExpiresAt is { } expires && expires < clock.GetUtcNow().UtcDateTime)
        {
            await RemoveAsync(key);
            return null;
        }
        var ticket = TicketSerializer.Default.Deserialize(session.Ticket);
        // A ticket whose user is not its session's user is refused (a row written before sessions were pinned to users).
        return ticket?.Principal.FindFirstValue(ClaimTypes.NameIdentifier) == session.UserId ? ticket : null;
    }

    public async Task RemoveAsync(string key)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.UserSessions.Where(s => s.Id == key).ExecuteDeleteAsync();
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UserSessions.AnyAsync(s => s.Id == key, ct);
    }

    /// <summary>Ends every session of a user but <paramref name="keep"/>, which the caller signs in again (a sign-in renews the session it runs in).</summary>
    public async Task<int> RemoveAllAsync(string userId, string? keep = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UserSessions.Where(s => s.UserId == userId && s.Id != keep).ExecuteDeleteAsync(ct);
    }

    /// <summary>The session a principal was signed in with, so a live circuit can check that it still exists.</summary>
    public static string? SessionIdOf(ClaimsPrincipal principal) => principal.FindFirstValue(SessionClaim);

    private const string SessionClaim = "bpo:session";

    private static void WithSessionClaim(AuthenticationTicket ticket, string id)
    {
        if (ticket.Principal.HasClaim(SessionClaim, id) || ticket.Principal.Identity is not ClaimsIdentity identity) return;
        foreach (var stale in identity.FindAll(SessionClaim).ToList()) identity.RemoveClaim(stale);
        identity.AddClaim(new Claim(SessionClaim, id));
    }
}
