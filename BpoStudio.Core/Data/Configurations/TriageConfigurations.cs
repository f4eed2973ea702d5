using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BpoStudio.Core.Data.Configurations;

internal sealed class PairFindingConfiguration : IEntityTypeConfiguration<PairFinding>
{
    public void Configure(EntityTypeBuilder<PairFinding> builder)
    {
        builder.Property(f => f.CheckId).HasMaxLength(32);
        builder.Property(f => f.Detail).HasMaxLength(256);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(f => f.PairId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => f.PairId);
        // "Has finding X" and "no blocking finding" read these without touching the pairs.
        builder.HasIndex(f => new { f.DatasetId, f.CheckId, f.PairId });
        builder.HasIndex(f => new { f.DatasetId, f.Severity, f.PairId });
    }
}

internal sealed class CheckSettingConfiguration : IEntityTypeConfiguration<CheckSetting>
{
    public void Configure(EntityTypeBuilder<CheckSetting> builder)
    {
        builder.HasKey(s => new { s.DatasetId, s.CheckId });
        builder.Property(s => s.CheckId).HasMaxLength(32);
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BulkActionConfiguration : IEntityTypeConfiguration<BulkAction>
{
    public void Configure(EntityTypeBuilder<BulkAction> builder)
    {
        builder.Property(b => b.Reason).HasMaxLength(256);
        builder.Property(b => b.AssigneeId).HasMaxLength(450);
        builder.Property(b => b.FilterText).HasMaxLength(1024);
        builder.Property(b => b.CreatedBy).HasMaxLength(256);
        builder.Property(b => b.UndoneBy).HasMaxLength(256);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(b => b.DatasetId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(b => new { b.DatasetId, b.Id });
        builder.HasIndex(b => b.SpotCheckId);
    }
}

internal sealed class SpotCheckConfiguration : IEntityTypeConfiguration<SpotCheck>
{
    public void Configure(EntityTypeBuilder<SpotCheck> builder)
    {
        builder.Property(s => s.FilterText).HasMaxLength(1024);
        builder.Property(s => s.CreatedBy).HasMaxLength(256);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(s => s.DatasetId);
    }
}

internal sealed class SpotCheckItemConfiguration : IEntityTypeConfiguration<SpotCheckItem>
{
    public void Configure(EntityTypeBuilder<SpotCheckItem> builder)
    {
        builder.Property(i => i.Stratum).HasMaxLength(160);
        builder.HasOne<SpotCheck>().WithMany().HasForeignKey(i => i.SpotCheckId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(i => i.PairId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(i => new { i.SpotCheckId, i.PairId }).IsUnique();
        builder.HasIndex(i => new { i.DatasetId, i.PairId }); // the queue serves sampled pairs first
        builder.HasIndex(i => i.PairId);
    }
}
