using System.Security.Claims;
using BpoStudio.Core.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Accounts;

public sealed record UserSummary(string Id, string Email, string? DisplayName, IReadOnlyList<string> Roles, bool LockedOut);

/// <summary>
/// User and role management for the admin page and the <c>users</c> CLI verb; every change is audited. Anything that
/// changes what a user may do (roles, lock, password) ends that user's sessions: the security stamp changes, so live
/// circuits end at their next revalidation, and the session rows go, so cookies stop working at once.
/// </summary>
public sealed class UserAdministration(UserManager<AppUser> users, IDbContextFactory<Data.BpoDbContext> dbFactory, DatabaseTicketStore sessions, AuditLog audit, TimeProvider clock)
{
    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken ct = default)
    {
        // Two queries whatever the number of users (asking each user's roles made a team of 100 a hundred round trips,
        // and the assignment panel waited on them).
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var roles = (await (from userRole in db.UserRoles join role in db.Roles on userRole.RoleId equals role.Id select new { userRole.UserId, role.Name })
                .ToListAsync(ct))
            .ToLookup(r => r.UserId, r => r.Name!);
        return [.. all.Select(user => Summarize(user, roles[user.Id]))];
    }

    /// <summary>
    /// Adds a user. A first password someone else chose (an admin on the Users page, <c>users add</c>) is to be replaced
    /// at the first sign-in: <paramref name="mustChangePassword"/>, as after an admin's reset.
    /// </summary>
    public async Task<UserSummary> CreateAsync(string email, string password, IEnumerable<string> roles, ClaimsPrincipal actor, string? displayName = null, bool mustChangePassword = false)
    {
        actor.RequireAdmin("manage users");
        var wanted = ValidateRoles(roles);
        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName, CreatedAt = clock.GetUtcNow().UtcDateTime, MustChangePassword = mustChangePassword };
        (await users.CreateAsync(user, password)).ThrowIfFailed($"create user {email}");
        if (wanted.Count > 0) (await users.AddToRolesAsync(user, wanted)).ThrowIfFailed($"grant roles to {email}");
        await audit.WriteAsync(actor.DisplayName(), AccountAudit.UserCreate, email, $"roles: {string.Join(", ", wanted)}");
        return await SummarizeAsync(user);
    }

    public async Task SetRolesAsync(string userId, IEnumerable<string> roles, ClaimsPrincipal actor)
    {
        actor.RequireAdmin("manage users");
        var wanted = ValidateRoles(roles);
        var user = await FindAsync(userId);
        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && !wanted.Contains(Roles.Admin) && (await users.GetUsersInRoleAsync(Roles.Admin)).Count == 1)
            throw new ConflictError("The last admin cannot lose the Admin role.");
        (await users.RemoveFromRolesAsync(user, current.Except(wanted))).ThrowIfFailed("remove roles");
        (await users.AddToRolesAsync(user, wanted.Except(current))).ThrowIfFailed("add roles");
        await EndSessionsAsync(user);
        await audit.WriteAsync(actor.DisplayName(), AccountAudit.UserRoles, user.Email, $"{string.Join(", ", current)} -> {string.Join(", ", wanted)}");
    }

    /// <summary>Sets a generated password, returned to be shown once; by default the user must choose a new one at the next sign-in.</summary>
    public async Task<string> ResetPasswordAsync(string userId, ClaimsPrincipal actor, bool requireChange = true)
    {
        actor.RequireAdmin("manage users");
        var user = await FindAsync(userId);
        var password = AdminBootstrapper.GeneratePassword();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        (await users.ResetPasswordAsync(user, token, password)).ThrowIfFailed($"reset the password of {user.Email}");
        user.MustChangePassword = requireChange;
        (await users.UpdateAsync(user)).ThrowIfFailed($"update {user.Email}");
        await EndSessionsAsync(user);
        await audit.WriteAsync(actor.DisplayName(), AccountAudit.UserPasswordReset, user.Email, requireChange ? "must change at next sign-in" : null);
        return password;
    }

    /// <summary>The signed-in user changes their own password; their other sessions end, and the caller re-signs this one in.</summary>
    public async Task ChangeOwnPasswordAsync(ClaimsPrincipal actor, string currentPassword, string newPassword)
    {
        var user = await FindAsync(actor.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new ForbiddenError("Sign in to change your password."));
        if (currentPassword == newPassword) throw new InvalidInputError("The new password must differ from the current one.");
        (await users.ChangePasswordAsync(user, currentPassword, newPassword)).ThrowIfFailed("change the password");
        user.MustChangePassword = false;
        (await users.UpdateAsync(user)).ThrowIfFailed($"update {user.Email}");
        await EndSessionsAsync(user, keep: DatabaseTicketStore.SessionIdOf(actor));
        await audit.WriteAsync(actor.DisplayName(), AccountAudit.UserPasswordChange, user.Email, null);
    }

    /// <summary>Ends every session of the signed-in user, this one included.</summary>
    public async Task<int> SignOutEverywhereAsync(ClaimsPrincipal actor)
    {
        var user = await FindAsync(actor.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new ForbiddenError("Not signed in."));
        var ended = await EndSessionsAsync(user);
        await audit.WriteAsync(actor.DisplayName(), AccountAudit.UserSignOutEverywhere, user.Email, $"{ended} sessions ended");
        return ended;
    }

    public async Task<string> FindIdByEmailAsync(string email) =>
        (await users.FindByEmailAsync(email.Trim()))?.Id ?? throw new NotFoundError($"There is no user {email}.");

    public async Task SetLockedAsync(string userId, bool locked, ClaimsPrincipal actor)
    {
        actor.RequireAdmin("manage users");
        var user = await FindAsync(userId);
        if (locked && await users.IsInRoleAsync(user, Roles.Admin) && (await users.GetUsersInRoleAsync(Roles.Admin)).Count == 1)
            throw new ConflictError("The last admin cannot be locked out.");
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, locked ? DateTimeOffset.MaxValue : null);
        if (locked) await EndSessionsAsync(user);
        await audit.WriteAsync(actor.DisplayName(), locked ? AccountAudit.UserLock : AccountAudit.UserUnlock, user.Email, null);
    }

    private async Task<AppUser> FindAsync(string userId) =>
        await users.FindByIdAsync(userId) ?? throw new NotFoundError($"No user with id {userId}.");

    private async Task<int> EndSessionsAsync(AppUser user, string? keep = null)
    {
        (await users.UpdateSecurityStampAsync(user)).ThrowIfFailed($"end the sessions of {user.Email}");
        return await sessions.RemoveAllAsync(user.Id, keep);
    }

    private async Task<UserSummary> SummarizeAsync(AppUser user) => Summarize(user, await users.GetRolesAsync(user));

    private UserSummary Summarize(AppUser user, IEnumerable<string> roles) =>
        new(user.Id, user.Email ?? user.UserName ?? user.Id, user.DisplayName, [.. roles.OrderBy(r => Roles.All.ToList().IndexOf(r))],
            user.LockoutEnd is { } end && end > clock.GetUtcNow());

    private static List<string> ValidateRoles(IEnumerable<string> roles)
    {
        var list = new List<string>();
        foreach (var role in roles.Select(r => r.Trim()).Where(r => r.Length > 0))
        {
            var match = Roles.All.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidInputError($"Unknown role '{role}'. Roles: {string.Join(", ", Roles.All)}.");
            if (!list.Contains(match)) list.Add(match);
        }
        return list;
    }
}
