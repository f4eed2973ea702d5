using BpoStudio.Core.Judging;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Export;
using BpoStudio.Core.Feedback;
using BpoStudio.Core.Import;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Datasets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Webhooks;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Review;
using BpoStudio.Core.Storage;
using BpoStudio.Core.Triage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BpoStudio.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Configuration key choosing the database: <c>Sqlite</c> (embedded, the default) or <c>Postgres</c>.</summary>
    public const string ProviderKey = "BpoStudio:Database";

    public const string ConnectionStringName = "BpoStudio";

    private static readonly SqliteBusyTimeout BusyTimeout = new();

    private static void AddBpoDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = configuration[ProviderKey] ?? "Sqlite";
        if (string.Equals(provider, "Postgres", StringComparison.OrdinalIgnoreCase) || string.Equals(provider, "PostgreSQL", StringComparison.OrdinalIgnoreCase))
        {
            var connectionString = configuration.GetConnectionString(ConnectionStringName)
                ?? throw new ConflictError($"{ProviderKey}=Postgres needs ConnectionStrings:{ConnectionStringName} (Host=...;Database=...;Username=...;Password=...).");
            services.AddPooledDbContextFactory<Data.Postgres.PostgresBpoDbContext>(options => options.UseNpgsql(connectionString));
            services.AddSingleton<IDbContextFactory<BpoDbContext>, Data.Postgres.PostgresContextFactory>();
            services.AddScoped<BpoDbContext>(sp => sp.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContext());
            return;
        }
        if (!string.Equals(provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
            throw new ConflictError($"{ProviderKey} is '{provider}'; use Sqlite or Postgres.");
        // Pooled: every operation takes a fresh context (IDbContextFactory per operation), and setting up its internal
        // services each time was a tenth of a review decision's server time.
        services.AddPooledDbContextFactory<BpoDbContext>((sp, options) =>
        {
            var connectionString = configuration.GetConnectionString(ConnectionStringName)
                ?? $"Data Source={sp.GetRequiredService<DataPaths>().Database}";
            options.UseSqlite(connectionString).AddInterceptors(BusyTimeout);
        });
    }

    /// <summary>Everything the web app and the CLI share: options, database, identity stores, storage, features.</summary>
    public static IHostApplicationBuilder AddBpoStudioCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<BpoStudioOptions>().BindConfiguration(BpoStudioOptions.Section)
            .Validate(o => o.Images is { MaxPixels: > 0, MaxConcurrentLargeDecodes: > 0, LargePixels: > 0 },
                "BpoStudio:Images:MaxPixels, MaxConcurrentLargeDecodes and LargePixels must be positive numbers.")
            .ValidateOnStart();
        services.AddSingleton<DataPaths>();

        // Keys live in the database so sign-in cookies and reset tokens survive restarts and work on every instance.
        services.AddDataProtection().SetApplicationName("BpoStudio").PersistKeysToDbContext<BpoDbContext>();

        services.AddBpoDatabase(builder.Configuration);

        services.AddIdentityCore<AppUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 10;
                options.Lockout.MaxFailedAccessAttempts = 8;
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddRoles<IdentityRole>()
            .AddClaimsPrincipalFactory<AccountClaims>()
            .AddEntityFrameworkStores<BpoDbContext>()
            .AddDefaultTokenProviders();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IBootstrapConsole, StandardBootstrapConsole>();
        services.AddScoped<AdminBootstrapper>();
        services.AddScoped<UserAdministration>();
        services.AddSingleton<ApiTokenService>();
        services.AddSingleton<DatabaseTicketStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<Audit.AuditQueries>();
        services.AddSingleton<ImageStore>();
        services.AddSingleton<ImageUpload>();
        services.AddSingleton<Approval.ApprovalService>();
        services.AddSingleton<Approval.VersionComparer>();
        services.AddSingleton<Backups.BackupService>();
        services.AddSingleton<Dashboard.DashboardQueries>();
        services.AddSingleton<Dashboard.LeadAudit>();

        // Each feature registers its own services, job handler and options (checked at start).
        services.AddJobs();
        services.AddDatasets();
        services.AddBootstrapping();
        services.AddImport();
        services.AddReview();
        services.AddFeedback();
        services.AddTriage();
        services.AddJudging();
        services.AddExport();
        services.AddWebhooks();
        services.AddSingleton<DatabaseInitializer>();
        return builder;
    }
}
