using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Accounts;

public class SharedKeysTests
{
    [Fact]
    public async Task TwoInstancesOnOneDatabase_ReadEachOthersProtectedData()
    {
        await using var first = await CoreServices.StartAsync();
        var database = Path.Combine(first.DataDirectory, "bpostudio.db");
        await using var second = await CoreServices.StartAsync(settings => settings["ConnectionStrings:BpoStudio"] = $"Data Source={database}");

        var cookie = first.Get<IDataProtectionProvider>().CreateProtector("sign-in").Protect("lead@example.test");

        Assert.Equal("lead@example.test", second.Get<IDataProtectionProvider>().CreateProtector("sign-in").Unprotect(cookie));
        await using var db = await first.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Single(await db.DataProtectionKeys.ToListAsync());
    }
}
