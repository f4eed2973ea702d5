using BpoStudio.Core.Datasets;
using BpoStudio.Core.Feedback;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BpoStudio.Core.Data.Configurations;

internal sealed class ErrorSpanConfiguration : IEntityTypeConfiguration<ErrorSpan>
{
    public void Configure(EntityTypeBuilder<ErrorSpan> builder)
    {
        builder.Ignore(s => s.End);
        builder.Property(s => s.CreatedBy).HasMaxLength(256);
        builder.Property(s => s.ChangedBy).HasMaxLength(256);
        builder.HasOne<Response>().WithMany().HasForeignKey(s => s.ResponseId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.NoAction);
        builder.HasOne<ErrorSpan>().WithMany().HasForeignKey(s => s.CarriedFromId).OnDelete(DeleteBehavior.NoAction);
        builder.HasIndex(s => new { s.ResponseId, s.Status });
        builder.HasIndex(s => new { s.DatasetId, s.Status }); // the dashboard's errors by type and method
    }
}

internal sealed class RatingAspectConfiguration : IEntityTypeConfiguration<RatingAspect>
{
    public void Configure(EntityTypeBuilder<RatingAspect> builder)
    {
        builder.Property(a => a.Name).HasMaxLength(64);
        builder.Property(a => a.CreatedBy).HasMaxLength(256);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(a => a.DatasetId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(a => new { a.DatasetId, a.Name }).IsUnique();
    }
}

internal sealed class ResponseRatingConfiguration : IEntityTypeConfiguration<ResponseRating>
{
    public void Configure(EntityTypeBuilder<ResponseRating> builder)
    {
        builder.Property(r => r.Aspect).HasMaxLength(64);
        builder.Property(r => r.Raw).HasMaxLength(64);
        builder.Property(r => r.RatedBy).HasMaxLength(256);
        builder.HasOne<Response>().WithMany().HasForeignKey(r => r.ResponseId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(r => r.DatasetId).OnDelete(DeleteBehavior.NoAction);
        builder.HasIndex(r => new { r.ResponseId, r.Aspect, r.Id });
    }
}
