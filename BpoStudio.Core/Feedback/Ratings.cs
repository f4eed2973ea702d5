namespace BpoStudio.Core.Feedback;

/// <summary>A dataset's rating aspect (VLFeedback's Helpfulness, Visual Faithfulness, Ethical Considerations, or a lead's own) and its scale.</summary>
public class RatingAspect
{
    public int Id { get; set; }
    public int DatasetId { get; set; }
    public required string Name { get; set; }
    public double Min { get; set; } = 1;
    public double Max { get; set; } = 5;
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

/// <summary>
/// One rating of a response on one aspect, with its rationale. Append-only: a change adds a row, the newest counts,
/// and an approved version reads the ratings as they stood when it was approved.
/// </summary>
public class ResponseRating
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public long ResponseId { get; set; }
    public required string Aspect { get; set; }

    /// <summary>Null when not rated (VLFeedback's "N/A").</summary>
    public double? Value { get; set; }

    /// <summary>The rating as the source wrote it (a JSON number or string), so an unchanged rating goes out as it came in.</summary>
    public string? Raw { get; set; }
    public string? Rationale { get; set; }
    public string? RatedBy { get; set; }
    public DateTime RatedAt { get; set; }
}

/// <summary>A response's current rating on one aspect.</summary>
/// <summary>A response's rating per aspect of its dataset (an unrated aspect has no value), with the aspects' scales.</summary>
public sealed record RatingSheet(IReadOnlyList<RatingAspect> Aspects, IReadOnlyList<RatingValue> Values);

public sealed record RatingValue(string Aspect, double? Value, string? Rationale, string? RatedBy, DateTime RatedAt, string? Raw = null);
