using BpoStudio.Core.Judging;
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
            services.AddDbContextFactory<Data.Postgres.PostgresBpoDbContext>(options => options.UseNpgsql(connectionString));
            services.AddSingleton<IDbContextFactory<BpoDbContext>, Data.Postgres.PostgresContextFactory>();
            services.AddScoped<BpoDbContext>(sp => sp.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContext());
            return;
        }
        if (!string.Equals(provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
            throw new ConflictError($"{ProviderKey} is '{provider}'; use Sqlite or Postgres.");
        services.AddDbContextFactory<BpoDbContext>((sp, options) =>
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

        services.AddSingleton<IBootstrapConsole, StandardBootstrapConsole>();
        services.AddScoped<AdminBootstrapper>();
        services.AddScoped<UserAdministration>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiTokenService>();
        services.AddSingleton<DatabaseTicketStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<ImageStore>();
        services.AddSingleton<ImageUpload>();
        services.AddSingleton(InjectionLexicon.Default);
        services.AddSingleton<ModelFreeInjector>();
        services.AddOptions<LlmBackendOptions>().BindConfiguration(LlmBackendOptions.Section);
        services.AddOptions<Generation.LocalModelOptions>().BindConfiguration(Generation.LocalModelOptions.Section);
        services.AddSingleton<Generation.LocalModelCatalog>();
        services.AddSingleton<Bootstrapping.WeakenedImageNegatives>();
        services.AddSingleton<Bootstrapping.SampleWeakening>();
        services.AddSingleton<Feedback.ErrorSpanService>();
        services.AddSingleton<Feedback.PairWeights>();
        services.AddSingleton<Feedback.RatingService>();
        services.AddSingleton<Bootstrapping.ImagePairs>();
        services.AddSingleton<Bootstrapping.GenerationJobs>();
        services.AddSingleton<Injection.RemoteCallPolicy>();
        services.AddSingleton<Injection.RemoteVision>();
        services.AddSingleton<LlmBackend>();
        services.AddSingleton<PromptTemplates>();
        services.AddSingleton<DemoSeeder>();
        services.AddSingleton<Datasets.DatasetQueries>();
        services.AddSingleton<Datasets.DatasetAdministration>();
        services.AddReview();
        services.AddWebhooks();
        services.AddSingleton<Benchmarks.ReviewBenchmark>();
        services.AddSingleton<Benchmarks.TeamReviewBenchmark>();
        services.AddSingleton<Imaging.ImageWeakener>();
        services.AddSingleton<Import.DatasetImporter>();
        services.AddSingleton<Benchmarks.ImagingBenchmark>();
        services.AddSingleton<Benchmarks.ImportBenchmark>();
        services.AddSingleton<Benchmarks.ExportBenchmark>();
        services.AddSingleton<Benchmarks.TriageBenchmark>();
        services.AddSingleton<Benchmarks.GenerationJobBenchmark>();

        services.AddSingleton<Jobs.JobQueue>();
        services.AddSingleton<Jobs.JobProgressNotifier>();
        services.AddOptions<Jobs.JobRunnerOptions>().BindConfiguration(Jobs.JobRunnerOptions.Section);
        services.AddSingleton<Jobs.JobRunner>();
        services.AddSingleton<Jobs.JobService>();
        services.AddSingleton<Jobs.IJobHandler, Bootstrapping.GenerationJobHandler>();
        services.AddSingleton<Jobs.IJobHandler, Export.ExportJobHandler>();
        services.AddSingleton<Jobs.IJobHandler, Import.ImportJobHandler>();
        services.AddSingleton<Import.ImportFolders>();
        services.AddSingleton<Import.ImportService>();
        services.AddSingleton<Import.RecordPush>();
        services.AddSingleton<Approval.ApprovalService>();
        services.AddSingleton<Backups.BackupService>();
        services.AddSingleton<Dashboard.DashboardQueries>();
        services.AddSingleton<Dashboard.LeadAudit>();
        services.AddSingleton<Audit.AuditQueries>();
        services.AddSingleton<Approval.VersionComparer>();
        services.AddSingleton<Export.ExportSource>();
        services.AddSingleton<Export.ExportRunner>();
        services.AddSingleton<Export.ExportService>();
        services.AddSingleton<Export.ExportForecast>();
        services.AddTriage();
        services.AddJudging();
        services.AddSingleton<DatabaseInitializer>();
        return builder;
    }
}
