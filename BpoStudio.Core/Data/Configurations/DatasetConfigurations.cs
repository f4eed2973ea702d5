using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BpoStudio.Core.Data.Configurations;

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<Dataset>
{
    public void Configure(EntityTypeBuilder<Dataset> builder)
    {
        builder.Property(d => d.Name).HasMaxLength(200);
        builder.HasIndex(d => d.Name).IsUnique();
        builder.Property(d => d.CreatedBy).HasMaxLength(256);
        // Datasets made before error spans take the documented defaults, not zero.
        builder.Property(d => d.MinorErrorWeight).HasDefaultValue(Feedback.SeverityWeights.Default.Minor);
        builder.Property(d => d.MajorErrorWeight).HasDefaultValue(Feedback.SeverityWeights.Default.Major);
        builder.Property(d => d.CriticalErrorWeight).HasDefaultValue(Feedback.SeverityWeights.Default.Critical);
    }
}

internal sealed class SampleConfiguration : IEntityTypeConfiguration<Sample>
{
    public void Configure(EntityTypeBuilder<Sample> builder)
    {
        builder.Property(s => s.ImageHash).HasMaxLength(64);
        builder.Property(s => s.MoreImageHashes).HasConversion(ImageList.Converter, ImageList.Comparer).HasColumnName("MoreImageHashes");
        builder.Ignore(s => s.ImageHashes);
        builder.OwnsOne(s => s.Source, source =>
        {
            source.Property(p => p.File).HasColumnName("SourceFile").HasMaxLength(1024);
            source.Property(p => p.RecordId).HasColumnName("SourceRecordId").HasMaxLength(256);
            source.Property(p => p.Turn).HasColumnName("SourceTurn");
            source.Property(p => p.ImagePath).HasColumnName("SourceImagePath").HasMaxLength(1024);
            source.Property(p => p.ExtraJson).HasColumnName("SourceExtraJson");
            source.Property(p => p.MoreImagePaths).HasConversion(ImageList.Converter, ImageList.Comparer).HasColumnName("SourceMoreImagePaths");
            source.Property(p => p.OriginalPrompt).HasColumnName("SourceOriginalPrompt");
            source.Property(p => p.IdGenerated).HasColumnName("SourceIdGenerated");
            // Resuming an import finds already-imported records by (dataset, file, record, turn).
            source.HasIndex(p => new { p.File, p.RecordId, p.Turn });
        });
        builder.Navigation(s => s.Source).IsRequired();
        builder.HasOne(s => s.Dataset).WithMany(d => d.Samples).HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(s => new { s.DatasetId, s.Id });
        // By image, then dataset: an import's look-up of repeated content asks for both (and an image's users for the first).
        builder.HasIndex(s => new { s.ImageHash, s.DatasetId });
    }
}

internal sealed class ResponseConfiguration : IEntityTypeConfiguration<Response>
{
    public void Configure(EntityTypeBuilder<Response> builder)
    {
        builder.OwnsOne(r => r.Provenance, p =>
        {
            p.Property(x => x.Method).HasColumnName("Method").HasMaxLength(128);
            p.Property(x => x.ParametersJson).HasColumnName("ParametersJson");
            p.Property(x => x.Seed).HasColumnName("Seed");
            p.Property(x => x.Model).HasColumnName("Model").HasMaxLength(256);
            p.Property(x => x.ExecutionProvider).HasColumnName("ExecutionProvider").HasMaxLength(64);
            p.Property(x => x.GeneratedAt).HasColumnName("GeneratedAt");
            p.Property(x => x.WeakenedImageHash).HasColumnName("WeakenedImageHash").HasMaxLength(64);
            p.Property(x => x.WeakenedImageIndex).HasColumnName("WeakenedImageIndex");
            p.Property(x => x.MoreWeakenedImageHashes).HasConversion(ImageList.Converter, ImageList.Comparer).HasColumnName("MoreWeakenedImageHashes");
            p.Property(x => x.ChangedSpansJson).HasColumnName("ChangedSpansJson");
            p.Property(x => x.ExtraJson).HasColumnName("ExtraJson");
        });
        builder.Navigation(r => r.Provenance).IsRequired();
        builder.HasOne(r => r.Sample).WithMany(s => s.Responses).HasForeignKey(r => r.SampleId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Response>().WithMany().HasForeignKey(r => r.PreviousVersionId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => new { r.SampleId, r.Kind });
    }
}

internal sealed class PreferencePairConfiguration : IEntityTypeConfiguration<PreferencePair>
{
    public void Configure(EntityTypeBuilder<PreferencePair> builder)
    {
        builder.Property(p => p.RowVersion).IsConcurrencyToken();
        builder.Property(p => p.DecidedBy).HasMaxLength(256);
        builder.HasOne(p => p.Sample).WithMany().HasForeignKey(p => p.SampleId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(p => p.ChosenResponse).WithMany().HasForeignKey(p => p.ChosenResponseId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne(p => p.RejectedResponse).WithMany().HasForeignKey(p => p.RejectedResponseId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(p => p.DatasetId).OnDelete(DeleteBehavior.Cascade);
        // The review queue: next pending pair in a dataset.
        builder.HasIndex(p => new { p.DatasetId, p.Status, p.Id });
        builder.HasIndex(p => p.SampleId);
        builder.HasIndex(p => new { p.DatasetId, p.ContentFingerprint, p.Id }); // the duplicate check's look-up
        builder.HasIndex(p => new { p.DatasetId, p.Id }); // a dataset's pairs a page at a time after a cursor (the API's listing), without sorting the dataset
    }
}
