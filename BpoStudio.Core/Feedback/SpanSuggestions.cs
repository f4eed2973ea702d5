using System.Text.Json;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Review;

namespace BpoStudio.Core.Feedback;

/// <summary>A span offered for a person to confirm or remove: not stored until they do.</summary>
public sealed record SuggestedSpan(int Start, int Length, string Text, ErrorType Type, ErrorSeverity Severity, SpanOrigin Origin, string Why);

/// <summary>
/// What the app already knows about where a negative is wrong: the model-free injector's changed spans (with their
/// category), for an edited negative the words its edit wrote, and the claims the judge found false.
/// </summary>
public static class SpanSuggestions
{
    public static IReadOnlyList<SuggestedSpan> For(Response rejected, string? previousText, IReadOnlyList<Judging.ClaimCheck>? falseClaims = null)
    {
        var suggestions = new List<SuggestedSpan>();
        if (rejected.Provenance.ChangedSpansJson is { } json) suggestions.AddRange(FromInjection(rejected.Text, json));
        if (previousText is not null) suggestions.AddRange(FromEdit(previousText, rejected.Text));
        foreach (var claim in falseClaims ?? [])
            if (claim.Start >= 0 && claim.Length > 0 && claim.Start + claim.Length <= rejected.Text.Length && !suggestions.Any(s => s.Start < claim.Start + claim.Length && claim.Start < s.Start + s.Length))
                suggestions.Add(new SuggestedSpan(claim.Start, claim.Length, rejected.Text.Substring(claim.Start, claim.Length), ErrorType.Other, ErrorSeverity.Major, SpanOrigin.Judge,
                    $"the judge: false{(claim.Rationale is { Length: > 0 } why ? $", {why}" : "")}"));
        return suggestions;
    }

    private static IEnumerable<SuggestedSpan> FromInjection(string text, string json)
    {
        List<ChangedSpan>? spans;
        try
        {
            spans = JsonSerializer.Deserialize<List<ChangedSpan>>(json);
        }
        catch (JsonException)
        {
            yield break; // an older or foreign provenance: nothing to suggest from it
        }
        foreach (var span in spans ?? [])
        {
            if (span.Start < 0 || span.Length <= 0 || span.Start + span.Length > text.Length) continue;
            yield return new SuggestedSpan(span.Start, span.Length, text.Substring(span.Start, span.Length), TypeOf(span.Category), ErrorSeverity.Major, SpanOrigin.Injection,
                $"injected: '{span.Original}' became '{span.Replacement}'");
        }
    }

    // Each run of words the edit wrote.
    private static IEnumerable<SuggestedSpan> FromEdit(string before, string after) =>
        WordDiff.AddedRuns(before, after).Select(run =>
            new SuggestedSpan(run.Start, run.Length, after.Substring(run.Start, run.Length), ErrorType.Other, ErrorSeverity.Major, SpanOrigin.Edit, "written by the edit"));

    public static ErrorType TypeOf(ErrorCategory category) => category switch
    {
        ErrorCategory.Object => ErrorType.Object,
        ErrorCategory.Count => ErrorType.Count,
        ErrorCategory.Relation => ErrorType.Relation,
        ErrorCategory.Text => ErrorType.Text,
        _ => ErrorType.Attribute, // colours and other attributes
    };
}
