using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Accounts;

/// <summary>Where a generated admin password is shown, once. The console by default; tests capture it.</summary>
public interface IBootstrapConsole
{
    void Announce(string message);
}

public sealed class StandardBootstrapConsole : IBootstrapConsole
{
    public void Announce(string message) => Console.Out.WriteLine(message);
}

public sealed record AdminBootstrapResult(string Email, bool PasswordGenerated);

/// <summary>Creates the roles and, when no admin exists yet, the first admin. Never uses a fixed password.</summary>
public sealed class AdminBootstrapper(
    UserManager<AppUser> users,
    RoleManager<IdentityRole> roles,
    IOptions<BpoStudioOptions> options,
    IBootstrapConsole console,
    ILogger<AdminBootstrapper> logger, TimeProvider clock)
{
    public async Task<AdminBootstrapResult?> EnsureAdminAsync()
    {
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role))
                (await roles.CreateAsync(new IdentityRole(role))).ThrowIfFailed($"create role {role}");

        if ((await users.GetUsersInRoleAsync(Roles.Admin)).Count > 0) return null;

        var admin = options.Value.Admin;
        var generated = string.IsNullOrEmpty(admin.Password);
        var password = generated ? GeneratePassword() : admin.Password!;
        var user = new AppUser { UserName = admin.Email, Email = admin.Email, EmailConfirmed = true, DisplayName = "Administrator", CreatedAt = clock.GetUtcNow().UtcDateTime, MustChangePassword = generated };
        (await users.CreateAsync(user, password)).ThrowIfFailed($"create admin {admin.Email}");
        (await users.AddToRoleAsync(user, Roles.Admin)).ThrowIfFailed("grant Admin");

        logger.LogInformation("Created the first admin account {Email}", admin.Email);
        if (generated)
            console.Announce($"""

                ================================================================
                 BpoStudio created the first admin account.
                   user:     {admin.Email}
                   password: {password}
                 It is shown only this once. The first sign-in asks for a new
                 password (or set BpoStudio:Admin:Password before the first start).
                ================================================================

                """);
        return new AdminBootstrapResult(admin.Email, generated);
    }

    /// <summary>24 characters from a CSPRNG, always with each character class the password policy asks for.</summary>
    public static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnopqrstuvwxyz", upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", digits = "23456789", symbols = "-_.!#%+=";
        const string all = lower + upper + digits + symbols;
        var chars = new char[24];
        chars[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        chars[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < chars.Length; i++) chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }
}

public static class IdentityResultExtensions
{
    public static void ThrowIfFailed(this IdentityResult result, string what)
    {
        if (!result.Succeeded)
            throw new ConflictError($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description.TrimEnd('.', ' ') + "."))}");
    }
}
