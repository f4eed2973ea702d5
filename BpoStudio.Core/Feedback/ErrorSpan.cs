using System.Text.Json.Serialization;

namespace BpoStudio.Core.Feedback;

/// <summary>What kind of hallucination a span is (RLHF-V's and HSA-DPO's categories).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErrorType>))]
public enum ErrorType
{
    Object,
    Attribute,
    Count,
    Relation,
    Text,
    Position,
    Other,
}

[JsonConverter(typeof(JsonStringEnumConverter<ErrorSeverity>))]
public enum ErrorSeverity
{
    Minor,
    Major,
    Critical,
}

public enum SpanStatus
{
    /// <summary>A person marked it, or confirmed a suggestion.</summary>
    Confirmed,

    /// <summary>A suggestion a person removed: it is not offered again for this text.</summary>
    Dismissed,

    /// <summary>Carried from an earlier version of the text whose edit changed the marked words: it needs a look.</summary>
    Stale,

    /// <summary>Removed by a person; kept for the pair's history.</summary>
    Removed,
}

/// <summary>Where a span came from: a person, the model-free injector's changed spans, or the words an edit changed.</summary>
public enum SpanOrigin
{
    Annotator,
    Injection,
    Edit,
    Judge,
}

/// <summary>
/// An error marked on a rejected answer: character offsets against one exact text version (a response row, which
/// never changes; an edit makes a new row, and its spans are re-anchored onto it).
/// </summary>
public class ErrorSpan
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public long ResponseId { get; set; }
    public int Start { get; set; }
    public int Length { get; set; }

    /// <summary>The marked characters, so a span can be checked and re-anchored against its text.</summary>
    public required string Text { get; set; }
    public ErrorType Type { get; set; }
    public ErrorSeverity Severity { get; set; }
    public SpanStatus Status { get; set; }
    public SpanOrigin Origin { get; set; }

    /// <summary>The span on the previous text version this one was carried from by an edit.</summary>
    public long? CarriedFromId { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? ChangedBy { get; set; }
    public DateTime? ChangedAt { get; set; }

    public int End => Start + Length;

    public bool Overlaps(int start, int length) => start < End && Start < start + length;
}
