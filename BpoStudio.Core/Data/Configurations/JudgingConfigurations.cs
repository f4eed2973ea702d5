using BpoStudio.Core.Datasets;
using BpoStudio.Core.Judging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BpoStudio.Core.Data.Configurations;

internal sealed class PairScoreConfiguration : IEntityTypeConfiguration<PairScore>
{
    public void Configure(EntityTypeBuilder<PairScore> builder)
    {
        builder.Property(s => s.Scorer).HasMaxLength(200);
        builder.Property(s => s.Template).HasMaxLength(64);
        builder.Property(s => s.Rationale).HasMaxLength(2000);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(s => s.PairId).OnDelete(DeleteBehavior.Cascade);
        // One score per pair, scorer and template: a resumed or repeated run never judges a pair twice.
        builder.HasIndex(s => new { s.PairId, s.Scorer, s.Template }).IsUnique();
        // Filtering and sorting a dataset's pairs by one scorer's score.
        builder.HasIndex(s => new { s.DatasetId, s.Scorer, s.PreferChosen });
    }
}

internal sealed class JudgeSettingConfiguration : IEntityTypeConfiguration<JudgeSetting>
{
    public void Configure(EntityTypeBuilder<JudgeSetting> builder)
    {
        builder.HasKey(s => s.DatasetId);
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
        builder.Property(s => s.Template).HasMaxLength(64);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ClaimCheckConfiguration : IEntityTypeConfiguration<ClaimCheck>
{
    public void Configure(EntityTypeBuilder<ClaimCheck> builder)
    {
        builder.Property(c => c.Text).HasMaxLength(1000);
        builder.Property(c => c.Rationale).HasMaxLength(2000);
        builder.Property(c => c.Scorer).HasMaxLength(200);
        builder.Property(c => c.Template).HasMaxLength(64);
        builder.Ignore(c => c.JudgedFalse);
        builder.HasOne<PreferencePair>().WithMany().HasForeignKey(c => c.PairId).OnDelete(DeleteBehavior.Cascade);
        // An answer's claims by one scorer and template: checked once; the review page reads an answer's false ones.
        builder.HasIndex(c => new { c.ResponseId, c.Scorer, c.Template, c.Start }).IsUnique();
    }
}

internal sealed class JudgeTemplateConfiguration : IEntityTypeConfiguration<JudgeTemplate>
{
    public void Configure(EntityTypeBuilder<JudgeTemplate> builder)
    {
        builder.Property(t => t.System).HasMaxLength(JudgePrompt.MaxLength);
        builder.Property(t => t.User).HasMaxLength(JudgePrompt.MaxLength);
        builder.Property(t => t.BasedOn).HasMaxLength(64);
        builder.Property(t => t.CreatedBy).HasMaxLength(256);
        builder.Ignore(t => t.Name);
        builder.HasIndex(t => new { t.DatasetId, t.Version }).IsUnique();
        builder.HasOne<Dataset>().WithMany().HasForeignKey(t => t.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
