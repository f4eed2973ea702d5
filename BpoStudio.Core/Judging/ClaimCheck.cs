using System.Text.Json;
using System.Text.RegularExpressions;

namespace BpoStudio.Core.Judging;

/// <summary>
/// The judge's check of one claim (a sentence) of a pair's rejected answer against the image: the share of yes votes,
/// with the characters it covers in that exact text version (a response row), so a false claim can be offered as an
/// error span on it and an edit leaves it behind.
/// </summary>
public class ClaimCheck
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public long PairId { get; set; }
    public long ResponseId { get; set; }
    public int Start { get; set; }
    public int Length { get; set; }
    public required string Text { get; set; }

    /// <summary>Share of the replies saying the claim is true; null when no reply was a verdict.</summary>
    public double? Holds { get; set; }
    public int Votes { get; set; }
    public int Unparsable { get; set; }
    public string? Rationale { get; set; }
    public required string Scorer { get; set; }
    public required string Template { get; set; }
    public long? JobId { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>The judge says false: fewer than half the votes for true.</summary>
    public bool JudgedFalse => Holds is < 0.5;
}

/// <summary>A sample's images for one batch of judge calls: a sample's negatives share them, so each is read once a batch.</summary>
internal sealed class BatchImages(Storage.ImageStore images)
{
    private readonly Dictionary<string, byte[]> _read = [];

    public async Task<List<byte[]>> OfAsync(string? imageHash, IReadOnlyList<string>? more, CancellationToken ct)
    {
        var bytes = new List<byte[]>();
        foreach (var hash in Datasets.ImageList.All(imageHash, more))
            bytes.Add(_read.TryGetValue(hash, out var known) ? known : _read[hash] = await images.ReadAsync(hash, ct));
        return bytes;
    }
}

/// <summary>A claim of an answer: a sentence, by its characters.</summary>
public sealed record Claim(int Start, int Length, string Text);

public static partial class Claims
{
    public const int MaxPerAnswer = 12;

    /// <summary>
    /// The answer's sentences, each trimmed, by position: a run up to a full stop, question or exclamation mark followed
    /// by a space or the end, or a line. Decimal points ("3.5") and initials inside a sentence do not end it. Runs
    /// without a letter are left out; after <see cref="MaxPerAnswer"/> the rest are not checked.
    /// </summary>
    public static IReadOnlyList<Claim> Split(string answer)
    {
        var claims = new List<Claim>();
        foreach (Match m in Sentence().Matches(answer))
        {
            var (start, end) = (m.Index, m.Index + m.Length);
            while (start < end && char.IsWhiteSpace(answer[start])) start++;
            while (end > start && char.IsWhiteSpace(answer[end - 1])) end--;
            if (end <= start || !answer.AsSpan(start, end - start).ContainsAny(Letters)) continue;
            claims.Add(new Claim(start, end - start, answer[start..end]));
            if (claims.Count == MaxPerAnswer) break;
        }
        return claims;
    }

    private static readonly System.Buffers.SearchValues<char> Letters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    [GeneratedRegex(@"[^\n]+?(?:[.!?]+(?=\s|$)|(?=\n)|$)")]
    private static partial Regex Sentence();
}

/// <summary>One reply about a claim: <c>{"answer": "yes" | "no", "confidence": 0-1, "rationale": "..."}</c>.</summary>
public sealed record ClaimVerdict(bool Holds, double Confidence, string? Rationale)
{
    /// <summary>The verdict in a reply, or null when it is not one (as <see cref="JudgeVerdict.Parse"/>: nothing is guessed).</summary>
    public static ClaimVerdict? Parse(string? reply)
    {
        if (JudgeVerdict.JsonObjectOf(reply) is not { } text) return null;
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("answer", out var answer) || answer.ValueKind != JsonValueKind.String) return null;
            bool? holds = answer.GetString()!.Trim().ToLowerInvariant() switch { "yes" => true, "no" => false, _ => null };
            if (holds is null || JudgeVerdict.ConfidenceOf(root) is not { } confidence) return null;
            return new ClaimVerdict(holds.Value, confidence, root.TryGetProperty("rationale", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public const string Schema = """
        {"type":"object","properties":{"answer":{"type":"string","enum":["yes","no"]},"confidence":{"type":"number","minimum":0,"maximum":1},"rationale":{"type":"string"}},"required":["answer","confidence","rationale"],"additionalProperties":false}
        """;
}
