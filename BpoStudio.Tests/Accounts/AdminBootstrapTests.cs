using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Accounts;

public class AdminBootstrapTests
{
    [Fact]
    public async Task GeneratesDistinctPasswordsAndAnnouncesOnce_WhenNoneConfigured()
    {
        await using var first = await CoreServices.StartAsync(initialize: true);
        await using var second = await CoreServices.StartAsync(initialize: true);

        var firstPassword = AnnouncedPassword(first);
        var secondPassword = AnnouncedPassword(second);
        Assert.NotEqual(firstPassword, secondPassword);
        Assert.True(firstPassword.Length >= 20);
        Assert.True(await PasswordWorksAsync(first, "admin@bpostudio.local", firstPassword));
        Assert.False(await PasswordWorksAsync(first, "admin@bpostudio.local", secondPassword));

        // The generated password is for the first sign-in only: the principal carries the must-change mark.
        Assert.True(await MustChangeAsync(first));

        // A second start finds the admin and prints nothing more.
        await first.Get<BpoStudio.Core.Data.DatabaseInitializer>().InitializeAsync();
        Assert.Single(first.Console.Messages);
    }

    [Fact]
    public async Task UsesConfiguredPassword_WhenGiven()
    {
        await using var core = await CoreServices.StartAsync(s => s["BpoStudio:Admin:Password"] = "Configured-Pass-9", initialize: true);

        Assert.Empty(core.Console.Messages);
        Assert.True(await PasswordWorksAsync(core, "admin@bpostudio.local", "Configured-Pass-9"));
        Assert.False(await MustChangeAsync(core));
    }

    private static async Task<bool> MustChangeAsync(CoreServices core)
    {
        await using var scope = core.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var admin = await users.FindByEmailAsync("admin@bpostudio.local");
        var principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<AppUser>>().CreateAsync(admin!);
        return admin!.MustChangePassword && principal.MustChangePassword();
    }

    [Fact]
    public void GeneratedPasswords_MeetPolicyAndNeverRepeat()
    {
        var passwords = Enumerable.Range(0, 200).Select(_ => AdminBootstrapper.GeneratePassword()).ToList();
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
        Assert.All(passwords, p =>
        {
            Assert.Contains(p, char.IsLower);
            Assert.Contains(p, char.IsUpper);
            Assert.Contains(p, char.IsDigit);
            Assert.Contains(p, c => !char.IsLetterOrDigit(c));
        });
    }

    private static string AnnouncedPassword(CoreServices core)
    {
        var message = Assert.Single(core.Console.Messages);
        var line = message.Split('\n').Single(l => l.TrimStart().StartsWith("password:", StringComparison.Ordinal));
        return line.Split(':', 2)[1].Trim();
    }

    private static async Task<bool> PasswordWorksAsync(CoreServices core, string email, string password)
    {
        await using var scope = core.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByEmailAsync(email);
        Assert.NotNull(user);
        Assert.True(await users.IsInRoleAsync(user, Roles.Admin));
        return await users.CheckPasswordAsync(user, password);
    }
}
