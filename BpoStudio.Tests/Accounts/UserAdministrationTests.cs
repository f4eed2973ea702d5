using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Accounts;

public class UserAdministrationTests
{
    [Fact]
    public async Task RoleChangesAreAudited_WhenAdminEditsUser()
    {
        await using var core = await CoreServices.StartAsync(initialize: true);
        await using var scope = core.Services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();

        var user = await admin.CreateAsync("new@example.test", "Some-Pass-123", [Roles.Annotator], TestPrincipals.Admin);
        await admin.SetRolesAsync(user.Id, [Roles.Lead], TestPrincipals.Admin);

        var listed = (await admin.ListAsync()).Single(u => u.Email == "new@example.test");
        Assert.Equal([Roles.Lead], listed.Roles);
        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var actions = await db.AuditEntries.Where(a => a.Subject == "new@example.test").Select(a => a.Action).ToListAsync();
        Assert.Equal(["user.create", "user.roles"], actions);
    }

    [Fact]
    public async Task TheListGivesEachUserHisOwnRolesInOrder_AndWhoIsLockedOut()
    {
        await using var core = await CoreServices.StartAsync(initialize: true);
        await using var scope = core.Services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        await admin.CreateAsync("b-both@example.test", "Some-Pass-123", [Roles.Annotator, Roles.Lead], TestPrincipals.Admin);
        await admin.CreateAsync("c-none@example.test", "Some-Pass-123", [], TestPrincipals.Admin);
        var locked = await admin.CreateAsync("a-locked@example.test", "Some-Pass-123", [Roles.Annotator], TestPrincipals.Admin);
        await admin.SetLockedAsync(locked.Id, true, TestPrincipals.Admin);

        var listed = (await admin.ListAsync()).Where(u => u.Email.EndsWith("@example.test")).ToList();

        Assert.Equal(["a-locked@example.test", "b-both@example.test", "c-none@example.test"], listed.Select(u => u.Email));
        Assert.Equal([[Roles.Annotator], Roles.All.Where(r => r is Roles.Annotator or Roles.Lead).ToArray(), []], listed.Select(u => u.Roles.ToArray()));
        Assert.Equal([true, false, false], listed.Select(u => u.LockedOut));
    }

    [Fact]
    public async Task LeadsAndAnnotatorsCannotManageUsers()
    {
        await using var core = await CoreServices.StartAsync(initialize: true);
        await using var scope = core.Services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        var someone = (await admin.ListAsync()).Single();

        foreach (var actor in new[] { TestPrincipals.Lead, TestPrincipals.Annotator })
        {
            await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => admin.CreateAsync("x@example.test", "Some-Pass-123", [Roles.Admin], actor));
            await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => admin.SetRolesAsync(someone.Id, [Roles.Annotator], actor));
            await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => admin.SetLockedAsync(someone.Id, true, actor));
            await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => admin.ResetPasswordAsync(someone.Id, actor));
        }
        Assert.Single(await admin.ListAsync());
    }

    [Fact]
    public async Task RefusesToRemoveLastAdmin()
    {
        await using var core = await CoreServices.StartAsync(initialize: true);
        await using var scope = core.Services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        var only = (await admin.ListAsync()).Single();

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => admin.SetRolesAsync(only.Id, [Roles.Lead], TestPrincipals.Admin));
        Assert.Contains("last admin", error.Message);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => admin.SetLockedAsync(only.Id, true, TestPrincipals.Admin));
    }

    [Fact]
    public async Task RejectsUnknownRole_WithItsName()
    {
        await using var core = await CoreServices.StartAsync(initialize: true);
        await using var scope = core.Services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => admin.CreateAsync("x@example.test", "Some-Pass-123", ["Overlord"], TestPrincipals.Admin));
        Assert.Contains("Overlord", error.Message);
    }
}
