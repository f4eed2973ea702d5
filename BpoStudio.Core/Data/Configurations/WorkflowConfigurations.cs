using BpoStudio.Core.Approval;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BpoStudio.Core.Data.Configurations;

internal sealed class ReviewEventConfiguration : IEntityTypeConfiguration<ReviewEvent>
{
    public void Configure(EntityTypeBuilder<ReviewEvent> builder)
    {
        builder.Property(e => e.UserId).HasMaxLength(450);
        builder.Property(e => e.UserName).HasMaxLength(256);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(e => e.PairId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.PairId, e.Id });
        builder.HasIndex(e => new { e.DatasetId, e.At });
        builder.HasIndex(e => new { e.UserId, e.At });
        builder.Property(e => e.PreviousAssigneeId).HasMaxLength(450);
        builder.HasIndex(e => new { e.BulkActionId, e.PairId });
    }
}

internal sealed class PairDecisionConfiguration : IEntityTypeConfiguration<PairDecision>
{
    public void Configure(EntityTypeBuilder<PairDecision> builder)
    {
        builder.Property(d => d.UserId).HasMaxLength(450);
        builder.Property(d => d.Reason).HasMaxLength(256);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(d => d.PairId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(d => new { d.PairId, d.UserId }).IsUnique();
        builder.HasIndex(d => new { d.DatasetId, d.UserId });
    }
}

internal sealed class PairReservationConfiguration : IEntityTypeConfiguration<PairReservation>
{
    public void Configure(EntityTypeBuilder<PairReservation> builder)
    {
        builder.HasKey(r => new { r.PairId, r.UserId });
        builder.Property(r => r.UserId).HasMaxLength(450);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(r => r.PairId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.DatasetId, r.UserId });
        builder.HasIndex(r => r.ExpiresAt);
    }
}

internal sealed class PairAssignmentConfiguration : IEntityTypeConfiguration<PairAssignment>
{
    public void Configure(EntityTypeBuilder<PairAssignment> builder)
    {
        builder.HasKey(a => new { a.PairId, a.UserId });
        builder.Property(a => a.UserId).HasMaxLength(450);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(a => a.PairId).OnDelete(DeleteBehavior.Cascade);
        // One annotator's share in queue order.
        builder.HasIndex(a => new { a.DatasetId, a.UserId, a.PairId });
    }
}

internal sealed class DatasetVersionConfiguration : IEntityTypeConfiguration<DatasetVersion>
{
    public void Configure(EntityTypeBuilder<DatasetVersion> builder)
    {
        builder.Property(v => v.ContentHash).HasMaxLength(64);
        builder.Property(v => v.ApprovedBy).HasMaxLength(256);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(v => v.DatasetId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(v => new { v.DatasetId, v.Number }).IsUnique();
        builder.HasMany(v => v.Items).WithOne().HasForeignKey(i => i.DatasetVersionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class DatasetVersionItemConfiguration : IEntityTypeConfiguration<DatasetVersionItem>
{
    public void Configure(EntityTypeBuilder<DatasetVersionItem> builder)
    {
        builder.Property(i => i.ImageHash).HasMaxLength(64);
        builder.Property(i => i.ChosenKind).HasMaxLength(16);
        builder.Property(i => i.RejectedKind).HasMaxLength(16);
        builder.Property(i => i.RejectedMethod).HasMaxLength(128);
        builder.Property(i => i.ImagePath).HasMaxLength(1024);
        builder.HasIndex(i => new { i.DatasetVersionId, i.PairId });
        builder.HasIndex(i => new { i.DatasetVersionId, i.SampleId, i.PairId }); // exports read a version grouped by sample, without a sort
    }
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> builder)
    {
        builder.Property(j => j.RowVersion).IsConcurrencyToken();
        builder.Property(j => j.CreatedBy).HasMaxLength(256);
        builder.Property(j => j.LeaseOwner).HasMaxLength(128);
        builder.HasIndex(j => new { j.Status, j.CreatedAt });
        builder.HasIndex(j => j.DatasetId);
    }
}

internal sealed class JobItemFailureConfiguration : IEntityTypeConfiguration<JobItemFailure>
{
    public void Configure(EntityTypeBuilder<JobItemFailure> builder)
    {
        builder.Property(f => f.ItemKey).HasMaxLength(256);
        builder.HasOne<Job>().WithMany().HasForeignKey(f => f.JobId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => f.JobId);
    }
}

internal sealed class ExportRecordConfiguration : IEntityTypeConfiguration<ExportRecord>
{
    public void Configure(EntityTypeBuilder<ExportRecord> builder)
    {
        builder.Property(e => e.Format).HasMaxLength(32);
        builder.Property(e => e.CreatedBy).HasMaxLength(256);
        builder.Ignore(e => e.Status);
        builder.Ignore(e => e.Error);
        builder.Ignore(e => e.FinishedAt);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(e => e.DatasetId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.DatasetId, e.CreatedAt });
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.Property(a => a.Action).HasMaxLength(64);
        builder.Property(a => a.UserName).HasMaxLength(256);
        builder.Property(a => a.Subject).HasMaxLength(512);
        builder.HasIndex(a => a.At);
    }
}

internal sealed class StoredImageConfiguration : IEntityTypeConfiguration<StoredImage>
{
    public void Configure(EntityTypeBuilder<StoredImage> builder)
    {
        builder.HasKey(i => i.Hash);
        builder.Property(i => i.Hash).HasMaxLength(64);
        builder.Property(i => i.ContentType).HasMaxLength(64);
    }
}

internal sealed class AppSettingConfiguration : IEntityTypeConfiguration<Injection.AppSetting>
{
    public void Configure(EntityTypeBuilder<Injection.AppSetting> builder)
    {
        builder.HasKey(s => s.Key);
        builder.Property(s => s.Key).HasMaxLength(128);
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
    }
}

internal sealed class ImportFolderConfiguration : IEntityTypeConfiguration<Import.ImportFolder>
{
    public void Configure(EntityTypeBuilder<Import.ImportFolder> builder)
    {
        builder.Property(f => f.Path).HasMaxLength(1024);
        builder.Property(f => f.AddedBy).HasMaxLength(256);
        builder.HasIndex(f => f.Path).IsUnique();
    }
}

internal sealed class WebhookSubscriptionConfiguration : IEntityTypeConfiguration<Webhooks.WebhookSubscription>
{
    public void Configure(EntityTypeBuilder<Webhooks.WebhookSubscription> builder)
    {
        builder.Property(s => s.Url).HasMaxLength(2048);
        builder.Property(s => s.Secret).HasMaxLength(64);
        builder.Property(s => s.Events).HasMaxLength(256);
        builder.Property(s => s.CreatedBy).HasMaxLength(256);
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<Webhooks.WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<Webhooks.WebhookDelivery> builder)
    {
        builder.Property(d => d.MessageId).HasMaxLength(40);
        builder.Property(d => d.EventType).HasMaxLength(32);
        builder.Property(d => d.LastError).HasMaxLength(1024);
        builder.HasOne<Webhooks.WebhookSubscription>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(d => new { d.Status, d.NextAttemptAt }); // the dispatcher's look-up of what is due
        builder.HasIndex(d => new { d.SubscriptionId, d.Id });
    }
}
