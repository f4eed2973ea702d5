using BpoStudio.Core.Triage;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using BpoStudio.Core.Storage;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace BpoStudio.Core.Data;

public class BpoDbContext : IdentityDbContext<AppUser>, IDataProtectionKeyContext
{
    public BpoDbContext(DbContextOptions<BpoDbContext> options)
        : base(options)
    {
    }

    /// <summary>For provider-specific subclasses, which carry their own migrations.</summary>
    protected BpoDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<Sample> Samples => Set<Sample>();
    public DbSet<Response> Responses => Set<Response>();
    public DbSet<PreferencePair> Pairs => Set<PreferencePair>();
    public DbSet<ReviewEvent> ReviewEvents => Set<ReviewEvent>();
    public DbSet<PairDecision> PairDecisions => Set<PairDecision>();
    public DbSet<PairReservation> PairReservations => Set<PairReservation>();
    public DbSet<PairAssignment> PairAssignments => Set<PairAssignment>();
    public DbSet<DatasetVersion> DatasetVersions => Set<DatasetVersion>();
    public DbSet<DatasetVersionItem> DatasetVersionItems => Set<DatasetVersionItem>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobItemFailure> JobItemFailures => Set<JobItemFailure>();
    public DbSet<ExportRecord> Exports => Set<ExportRecord>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<StoredImage> StoredImages => Set<StoredImage>();
    public DbSet<Injection.AppSetting> AppSettings => Set<Injection.AppSetting>();
    public DbSet<Triage.PairFinding> PairFindings => Set<Triage.PairFinding>();
    public DbSet<Triage.SpotCheckItem> SpotCheckItems => Set<Triage.SpotCheckItem>();
    public DbSet<Triage.CheckSetting> CheckSettings => Set<Triage.CheckSetting>();
    public DbSet<Triage.BulkAction> BulkActions => Set<Triage.BulkAction>();
    public DbSet<Triage.SpotCheck> SpotChecks => Set<Triage.SpotCheck>();
    public DbSet<Accounts.UserSession> UserSessions => Set<Accounts.UserSession>();
    public DbSet<Accounts.ApiToken> ApiTokens => Set<Accounts.ApiToken>();
    public DbSet<Webhooks.WebhookSubscription> WebhookSubscriptions => Set<Webhooks.WebhookSubscription>();
    public DbSet<Webhooks.WebhookDelivery> WebhookDeliveries => Set<Webhooks.WebhookDelivery>();
    public DbSet<Import.ImportFolder> ImportFolders => Set<Import.ImportFolder>();
    public DbSet<Feedback.ErrorSpan> ErrorSpans => Set<Feedback.ErrorSpan>();
    public DbSet<Feedback.RatingAspect> RatingAspects => Set<Feedback.RatingAspect>();
    public DbSet<Feedback.ResponseRating> ResponseRatings => Set<Feedback.ResponseRating>();
    public DbSet<Judging.PairScore> PairScores => Set<Judging.PairScore>();
    public DbSet<Judging.JudgeSetting> JudgeSettings => Set<Judging.JudgeSetting>();
    public DbSet<Judging.JudgeTemplate> JudgeTemplates => Set<Judging.JudgeTemplate>();
    public DbSet<Judging.ClaimCheck> ClaimChecks => Set<Judging.ClaimCheck>();

    /// <summary>Data-protection keys, shared by every app instance on the same database so sign-in cookies work on any.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(BpoDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Enums as readable strings: stable across providers and legible in SQL.
        builder.Properties<PairStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<ReviewAction>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<Decision>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<JobKind>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<Accounts.TokenScope>().HaveConversion<string>().HaveMaxLength(8);
        builder.Properties<Webhooks.DeliveryStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<JobStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<DecisionSource>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<FindingSeverity>().HaveConversion<string>().HaveMaxLength(8);
        builder.Properties<Triage.BulkOperation>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<Feedback.ErrorType>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<Feedback.ErrorSeverity>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<Feedback.SpanStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<Feedback.SpanOrigin>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<ResponseKind>().HaveConversion<ResponseKindConverter>().HaveMaxLength(16);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        BumpRowVersions();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        BumpRowVersions();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    private void BumpRowVersions()
    {
        foreach (var entry in ChangeTracker.Entries<PreferencePair>())
            if (entry.State == EntityState.Modified) entry.Entity.RowVersion++;
        foreach (var entry in ChangeTracker.Entries<Job>())
            if (entry.State == EntityState.Modified) entry.Entity.RowVersion++;
    }

    private sealed class ResponseKindConverter() : ValueConverter<ResponseKind, string>(
        kind => kind.ToWire(), wire => ResponseKindNames.Parse(wire));
}
