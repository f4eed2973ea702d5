using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace BpoStudio.Core.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the app.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<BpoDbContext>
{
    public BpoDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<BpoDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
