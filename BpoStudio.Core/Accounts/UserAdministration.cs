using System.Security.Claims;
using BpoStudio.Core.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Accounts;

public sealed record UserSummary(string Id, string Email, string? DisplayName, IReadOnlyList<string> Roles, bool LockedOut);

/// <summary>User and role management for the admin page and the <c>users</c> CLI verb; every change is audited.</summary>
public sealed class UserAdministration(UserManager<AppUser> users, AuditLog audit)
{
    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken ct = default)
    {
        var all = await users.Users.OrderBy(u => u.Email).ToListAsync(ct);
        var result = new List<UserSummary>(all.Count);
        foreach (var user in all)
            result.Add(await SummarizeAsync(user));
        return result;
    }

    public async Task<UserSummary> CreateAsync(string email, string password, IEnumerable<string> roles, ClaimsPrincipal actor, string? displayName = null)
    {
        actor.RequireAdmin("manage users");
        var wanted = ValidateRoles(roles);
        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName, CreatedAt = DateTime.UtcNow };
        (await users.CreateAsync(user, password)).ThrowIfFailed($"create user {email}");
        if (wanted.Count > 0) (await users.AddToRolesAsync(user, wanted)).ThrowIfFailed($"grant roles to {email}");
        await audit.WriteAsync(actor.DisplayName(), "user.create", email, $"roles: {string.Join(", ", wanted)}");
        return await SummarizeAsync(user);
    }

    public async Task SetRolesAsync(string userId, IEnumerable<string> roles, ClaimsPrincipal actor)
    {
        actor.RequireAdmin("manage users");
        var wanted = ValidateRoles(roles);
        var user = await users.FindByIdAsync(userId) ?? throw new KeyNotFoundException($"No user with id {userId}.");
        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && !wanted.Contains(Roles.Admin) && (await users.GetUsersInRoleAsync(Roles.Admin)).Count == 1)
            throw new InvalidOperationException("The last admin cannot lose the Admin role.");
        (await users.RemoveFromRolesAsync(user, current.Except(wanted))).ThrowIfFailed("remove roles");
        (await users.AddToRolesAsync(user, wanted.Except(current))).ThrowIfFailed("add roles");
        await audit.WriteAsync(actor.DisplayName(), "user.roles", user.Email, $"{string.Join(", ", current)} -> {string.Join(", ", wanted)}");
    }

    public async Task ResetPasswordAsync(string userId, string newPassword, ClaimsPrincipal actor)
    {
        actor.RequireAdmin("manage users");
        var user = await users.FindByIdAsync(userId) ?? throw new KeyNotFoundException($"No user with id {userId}.");
        var token = await users.GeneratePasswordResetTokenAsync(user);
        (await users.ResetPasswordAsync(user, token, newPassword)).ThrowIfFailed($"reset the password of {user.Email}");
        await audit.WriteAsync(actor.DisplayName(), "user.password-reset", user.Email, null);
    }

    public async Task SetLockedAsync(string userId, bool locked, ClaimsPrincipal actor)
    {
        actor.RequireAdmin("manage users");
        var user = await users.FindByIdAsync(userId) ?? throw new KeyNotFoundException($"No user with id {userId}.");
        if (locked && await users.IsInRoleAsync(user, Roles.Admin) && (await users.GetUsersInRoleAsync(Roles.Admin)).Count == 1)
            throw new InvalidOperationException("The last admin cannot be locked out.");
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, locked ? DateTimeOffset.MaxValue : null);
        await audit.WriteAsync(actor.DisplayName(), locked ? "user.lock" : "user.unlock", user.Email, null);
    }

    private async Task<UserSummary> SummarizeAsync(AppUser user) =>
        new(user.Id, user.Email ?? user.UserName ?? user.Id, user.DisplayName, [.. (await users.GetRolesAsync(user)).OrderBy(r => Roles.All.ToList().IndexOf(r))],
            user.LockoutEnd is { } end && end > DateTimeOffset.UtcNow);

    private static List<string> ValidateRoles(IEnumerable<string> roles)
    {
        var list = new List<string>();
        foreach (var role in roles.Select(r => r.Trim()).Where(r => r.Length > 0))
        {
            var match = Roles.All.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"Unknown role '{role}'. Roles: {string.Join(", ", Roles.All)}.");
            if (!list.Contains(match)) list.Add(match);
        }
        return list;
    }
}
