using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace BpoStudio.Core.Data.Postgres;

/// <summary>The same model on PostgreSQL. A type of its own so EF keeps its migrations apart from SQLite's.</summary>
public sealed class PostgresBpoDbContext(DbContextOptions<PostgresBpoDbContext> options) : BpoDbContext(options);

/// <summary>Lets <c>dotnet ef migrations add ... --context PostgresBpoDbContext</c> build the model without a server.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresBpoDbContext>
{
    public PostgresBpoDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresBpoDbContext>().UseNpgsql("Host=localhost;Database=bpostudio_design").Options);
}

/// <summary>Hands out the PostgreSQL context wherever the app asks for a <see cref="BpoDbContext"/> factory.</summary>
internal sealed class PostgresContextFactory(IDbContextFactory<PostgresBpoDbContext> inner) : IDbContextFactory<BpoDbContext>
{
    public BpoDbContext CreateDbContext() => inner.CreateDbContext();
}
