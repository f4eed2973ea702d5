using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Accounts;

public sealed record CreatedToken(ApiTokenView Token, string Secret);

public sealed record ApiTokenView(long Id, string UserId, string UserEmail, string Name, TokenScope Scope, string Prefix, DateTime CreatedAt,
    DateTime? ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt);

/// <summary>The user and scope a presented token stands for, with the user's roles as they are now.</summary>
public sealed record TokenIdentity(long TokenId, string UserId, string UserName, TokenScope Scope, IReadOnlyList<string> Roles);

/// <summary>Personal access tokens: made by their user (or an admin, or the CLI for anyone), listed, revoked, checked.</summary>
public sealed class ApiTokenService(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    public const string SecretPrefix = "bpo_";
    public const int MaxExpiryDays = 3650;
    private static readonly TimeSpan LastUseGranularity = TimeSpan.FromMinutes(1);

    public async Task<CreatedToken> CreateAsync(ClaimsPrincipal actor, string userEmail, string name, TokenScope scope, int? expiresInDays, CancellationToken ct = default)
    {
        if (actor.Identity?.IsAuthenticated != true) throw new ForbiddenError("Sign in to make a token.");
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100) throw new InvalidInputError("Give the token a name of 1 to 100 characters (what it is for).", "name");
        if (expiresInDays is < 1 or > MaxExpiryDays) throw new InvalidInputError($"A token expires after 1 to {MaxExpiryDays} days.", "expires");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.Where(u => u.NormalizedEmail == userEmail.Trim().ToUpperInvariant()).Select(u => new { u.Id, u.Email }).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"There is no user '{userEmail}'.");
        if (user.Id != actor.FindFirstValue(ClaimTypes.NameIdentifier) && !actor.IsInRole(Roles.Admin))
            throw new ForbiddenError("Only an admin can make a token for someone else.");
        var roles = await RolesOfAsync(db, user.Id, ct);
        if (scope == TokenScope.Lead && !roles.Contains(Roles.Lead) && !roles.Contains(Roles.Admin))
            throw new InvalidInputError($"{user.Email} is not a lead; a lead-scope token would have nothing more to do than a write one.", "scope");

        var secret = SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = clock.GetUtcNow().UtcDateTime;
        var token = new ApiToken
        {
            UserId = user.Id, Name = name.Trim(), Scope = scope, Hash = HashOf(secret), Prefix = secret[..(SecretPrefix.Length + 6)],
            CreatedAt = now, ExpiresAt = expiresInDays is { } days ? now.AddDays(days) : null,
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), AccountAudit.TokenCreate, $"token {token.Id}", $"{user.Email}, {scope.ToString().ToLowerInvariant()}, \"{token.Name}\"" +
            (token.ExpiresAt is { } at ? $", expires {at:u}" : ", no expiry"), ct);
        return new CreatedToken(View(token, user.Email ?? user.Id), secret);
    }

    /// <summary>The caller's own tokens; an admin's list has everyone's.</summary>
    public async Task<IReadOnlyList<ApiTokenView>> ListAsync(ClaimsPrincipal actor, CancellationToken ct = default)
    {
        var userId = actor.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new ForbiddenError("Sign in to see tokens.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tokens = actor.IsInRole(Roles.Admin) ? db.ApiTokens : db.ApiTokens.Where(t => t.UserId == userId);
        var rows = await (from t in tokens.AsNoTracking()
                          join u in db.Users on t.UserId equals u.Id
                          orderby t.Id descending
                          select new { t, u.Email }).ToListAsync(ct);
        return [.. rows.Select(r => View(r.t, r.Email ?? r.t.UserId))];
    }

    public async Task RevokeAsync(ClaimsPrincipal actor, long tokenId, CancellationToken ct = default)
    {
        var userId = actor.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new ForbiddenError("Sign in to revoke tokens.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == tokenId, ct) ?? throw new NotFoundError($"There is no token {tokenId}.");
        if (token.UserId != userId && !actor.IsInRole(Roles.Admin)) throw new ForbiddenError("Only an admin can revoke someone else's token.");
        if (token.RevokedAt is not null) throw new ConflictError($"Token {tokenId} was already revoked at {token.RevokedAt:u}.");
        (token.RevokedAt, token.RevokedBy) = (clock.GetUtcNow().UtcDateTime, actor.DisplayName());
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), AccountAudit.TokenRevoke, $"token {tokenId}", token.Name, ct);
    }

    /// <summary>
    /// Who a presented token acts for, or null when it is unknown, revoked, expired or its user is locked out: checked on
    /// every call, so a revocation or a lock-out takes effect at once.
    /// </summary>
    public async Task<TokenIdentity?> AuthenticateAsync(string secret, CancellationToken ct = default)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal) || secret.Length > 100) return null;
        var hash = HashOf(secret);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var found = await (from t in db.ApiTokens
                           where t.Hash == hash && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now)
                           join u in db.Users on t.UserId equals u.Id
                           select new { t.Id, t.UserId, u.UserName, u.LockoutEnd, t.Scope, t.LastUsedAt }).FirstOrDefaultAsync(ct);
        if (found is null || found.LockoutEnd > clock.GetUtcNow()) return null;
        // Last use to the minute: one write a minute per token at most, however busy the pipeline.
        if (found.LastUsedAt is not { } last || now - last >= LastUseGranularity)
            await db.ApiTokens.Where(t => t.Id == found.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
        return new TokenIdentity(found.Id, found.UserId, found.UserName ?? found.UserId, found.Scope, await RolesOfAsync(db, found.UserId, ct));
    }

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static TokenScope ParseScope(string text) => Enum.TryParse<TokenScope>(text.Trim(), ignoreCase: true, out var scope) && Enum.IsDefined(scope)
        ? scope : throw new InvalidInputError($"Unknown scope '{text}'; use read, write or lead.", "scope");

    private static async Task<List<string>> RolesOfAsync(BpoDbContext db, string userId, CancellationToken ct) =>
        await (from ur in db.UserRoles where ur.UserId == userId join r in db.Roles on ur.RoleId equals r.Id select r.Name!).ToListAsync(ct);

    private static ApiTokenView View(ApiToken t, string email) => new(t.Id, t.UserId, email, t.Name, t.Scope, t.Prefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt);
}
