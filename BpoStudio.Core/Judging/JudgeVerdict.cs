using System.Text.Json;

namespace BpoStudio.Core.Judging;

public enum Preferred
{
    A,
    B,
    Tie,
}

/// <summary>One reply's verdict: <c>{"preferred": "A" | "B" | "tie", "confidence": 0-1, "rationale": "..."}</c>.</summary>
public sealed record JudgeVerdict(Preferred Preferred, double Confidence, string? Rationale)
{
    /// <summary>
    /// The verdict in a reply, or null when the reply is not one: prose, broken JSON, a refusal, a missing or unknown
    /// <c>preferred</c>, a confidence outside 0 to 1. A reply that is one JSON object in a code fence is read; nothing
    /// else is guessed at.
    /// </summary>
    public static JudgeVerdict? Parse(string? reply)
    {
        if (JsonObjectOf(reply) is not { } text) return null;
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("preferred", out var preferred) || preferred.ValueKind != JsonValueKind.String) return null;
            Preferred? which = preferred.GetString()!.Trim().ToLowerInvariant() switch { "a" => Preferred.A, "b" => Preferred.B, "tie" => Preferred.Tie, _ => null };
            if (which is null || ConfidenceOf(root) is not { } confidence) return null;
            var rationale = root.TryGetProperty("rationale", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            return new JudgeVerdict(which.Value, confidence, rationale);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The reply as one JSON object's text (a code fence around it is taken off), or null when it is not one.</summary>
    internal static string? JsonObjectOf(string? reply)
    {
        var text = reply?.Trim() ?? "";
        if (text.StartsWith("```", StringComparison.Ordinal) && text.EndsWith("```", StringComparison.Ordinal) && text.Length > 6)
        {
            text = text[3..^3].Trim();
            if (text.StartsWith("json", StringComparison.OrdinalIgnoreCase)) text = text[4..].Trim();
        }
        return text.StartsWith('{') ? text : null;
    }

    /// <summary>The reply's <c>confidence</c> when it is a number from 0 to 1.</summary>
    internal static double? ConfidenceOf(JsonElement root) =>
        root.TryGetProperty("confidence", out var confidence) && confidence.ValueKind == JsonValueKind.Number && confidence.GetDouble() is >= 0 and <= 1 and var value ? value : null;

    /// <summary>The JSON schema sent as <c>response_format</c> where the server takes one.</summary>
    public const string Schema = """
        {"type":"object","properties":{"preferred":{"type":"string","enum":["A","B","tie"]},"confidence":{"type":"number","minimum":0,"maximum":1},"rationale":{"type":"string"}},"required":["preferred","confidence","rationale"],"additionalProperties":false}
        """;
}

/// <summary>
/// The votes of every reply over both orders (chosen shown as A, then as B): the share for the chosen answer, how many
/// agree with the majority, and whether the two orders' majorities disagree (a position-biased judge).
/// </summary>
public sealed record JudgeTally(IReadOnlyList<JudgeVerdict> ChosenAsA, IReadOnlyList<JudgeVerdict> ChosenAsB, int Unparsable)
{
    public int Votes => ChosenAsA.Count + ChosenAsB.Count;

    /// <summary>Votes for the chosen answer over all votes (a tie is half a vote); null without a verdict.</summary>
    public double? PreferChosen => Votes == 0 ? null : (ForChosen(ChosenAsA, Preferred.A) + ForChosen(ChosenAsB, Preferred.B)) / Votes;

    public double? Confidence => PreferChosen is { } p ? Math.Max(p, 1 - p) : null;

    /// <summary>Both orders gave verdicts and their majorities differ (one for the chosen answer, the other against it or even).</summary>
    public bool OrdersDisagree => Share(ChosenAsA, Preferred.A) is { } a && Share(ChosenAsB, Preferred.B) is { } b && Math.Sign(a - 0.5) != Math.Sign(b - 0.5);

    /// <summary>Both orders prefer the rejected answer.</summary>
    public bool PrefersRejected => Share(ChosenAsA, Preferred.A) is < 0.5 && Share(ChosenAsB, Preferred.B) is < 0.5;

    private static double ForChosen(IReadOnlyList<JudgeVerdict> verdicts, Preferred chosen) =>
        verdicts.Sum(v => v.Preferred == chosen ? 1 : v.Preferred == Preferred.Tie ? 0.5 : 0);

    private static double? Share(IReadOnlyList<JudgeVerdict> verdicts, Preferred chosen) => verdicts.Count == 0 ? null : ForChosen(verdicts, chosen) / verdicts.Count;
}
