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
