using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Triage.Checks;

/// <summary>The sample's image could not be stored, or is not there: trainers skip or crash on such rows.</summary>
public sealed class MissingImageCheck : IPairCheck
{
    public string Id => CheckIds.MissingImage;
    public string Description => "The sample's image is missing or was flagged at import.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Block;

    public string? Check(PairCheckInput pair) =>
        pair.ImageProblem is { } problem ? Truncate(problem, 200)
        : pair.ImageHash is null && !string.IsNullOrEmpty(pair.ImagePath) ? $"image '{Truncate(pair.ImagePath, 160)}' is not in the store" : null;

    internal static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}

/// <summary>The same image, prompt, chosen and rejected as an earlier pair of the dataset (found by content fingerprint).</summary>
public sealed class DuplicateCheck : IPairCheck
{
    public string Id => CheckIds.Duplicate;
    public string Description => "The same image, prompt, chosen and rejected as another pair of the dataset.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;
    public bool ComparesPairs => true;

    public string? Check(PairCheckInput pair) => pair.DuplicateOf is { } first ? $"same as pair {first}" : null;
}

/// <summary>A generated negative that stopped at the token limit, or a negative ending mid-sentence where the chosen answer ends a sentence.</summary>
public sealed class TruncatedCheck : IPairCheck
{
    private static readonly char[] SentenceEnds = ['.', '!', '?', '。', '！', '？', '…', '"', '”', '»', ')', '」', '』', ':', ';'];

    public string Id => CheckIds.Truncated;
    public string Description => "A generated negative stopped at max tokens, or a negative ends mid-sentence.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;

    public string? Check(PairCheckInput pair)
    {
        if (pair.RejectedExtraJson is { } extra && extra.Contains("\"stopReason\":\"max-tokens\"", StringComparison.Ordinal))
            return "the model stopped at its token limit";
        var rejected = pair.Rejected.Trimmed;
        var chosen = pair.Chosen.Trimmed;
        if (rejected.Length == 0 || chosen.Length == 0 || pair.Rejected.Words.Length < 5) return null;
        return Array.IndexOf(SentenceEnds, chosen[^1]) >= 0 && Array.IndexOf(SentenceEnds, rejected[^1]) < 0
            ? $"rejected ends mid-sentence (\"…{MissingImageCheck.Truncate(rejected[Math.Max(0, rejected.Length - 30)..], 30)}\")" : null;
    }
}
