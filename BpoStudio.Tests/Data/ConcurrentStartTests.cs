using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Data;

public class ConcurrentStartTests
{
    [Fact]
    public async Task InstancesStartingTogetherOnOnePostgresDatabase_CreateOneAdminAndOneDemo()
    {
        static void Seeding(Dictionary<string, string?> s) => (s["BpoStudio:SeedDemo"], s["BpoStudio:Admin:Password"]) = ("true", "Start-Admin-Pass-1");
        await using var a = await CoreServices.StartAsync(Seeding, provider: DatabaseProvider.Postgres);
        await using var b = await CoreServices.StartAsync(s =>
        {
            Seeding(s);
            s["BpoStudio:Database"] = "Postgres";
            s["ConnectionStrings:BpoStudio"] = a.PostgresConnectionString;
        });

        await Task.WhenAll(a.Get<DatabaseInitializer>().InitializeAsync(), b.Get<DatabaseInitializer>().InitializeAsync());

        await using var db = await a.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.Datasets.CountAsync());
        Assert.Equal(1, await db.Users.CountAsync());
    }
}
