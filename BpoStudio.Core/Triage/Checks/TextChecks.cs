using System.Text.RegularExpressions;
using BpoStudio.Core.Datasets;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Triage.Checks;

/// <summary>The negative says what the chosen answer says, up to case, spaces and punctuation: nothing to learn from.</summary>
public sealed class IdenticalCheck : IPairCheck
{
    public string Id => CheckIds.Identical;
    public string Description => "Rejected equals chosen after normalising case, spaces and punctuation.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Block;

    public string? Check(PairCheckInput pair)
    {
        // An image pair repeats its answer on purpose: its two sides differ in the image.
        if (pair.RejectedKind.IsImagePair() || pair.Chosen.Normalized != pair.Rejected.Normalized) return null;
        return pair.Chosen.Trimmed == pair.Rejected.Trimmed ? "rejected is the same text as chosen" : "rejected differs from chosen only in case, spaces or punctuation";
    }
}

/// <summary>Word-level Dice similarity of the two answers (as multisets of words) at or over the threshold.</summary>
public sealed class NearIdenticalCheck(IOptions<PairCheckOptions> options) : IPairCheck
{
    public string Id => CheckIds.NearIdentical;
    public string Description => $"Rejected and chosen share at least {options.Value.NearIdenticalThreshold:0.##} of their words.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;

    public string? Check(PairCheckInput pair)
    {
        if (pair.RejectedKind.IsImagePair() || pair.Chosen.Normalized == pair.Rejected.Normalized) return null; // image pairs; identical's case
        var similarity = Similarity(pair.Chosen.Words, pair.Rejected.Words);
        return similarity >= options.Value.NearIdenticalThreshold ? $"word similarity {similarity:0.000}" : null;
    }

    public static double Similarity(string[] a, string[] b)
    {
        if (a.Length + b.Length == 0) return 1;
        var counts = new Dictionary<string, int>(a.Length, StringComparer.Ordinal);
        foreach (var word in a) counts[word] = counts.GetValueOrDefault(word) + 1;
        var shared = 0;
        foreach (var word in b)
            if (counts.TryGetValue(word, out var left) && left > 0)
            {
                counts[word] = left - 1;
                shared++;
            }
        return 2.0 * shared / (a.Length + b.Length);
    }
}

/// <summary>A negative far shorter or longer than the chosen answer teaches length, not content; an empty one nothing.</summary>
public sealed class LengthRatioCheck(IOptions<PairCheckOptions> options) : IPairCheck
{
    public string Id => CheckIds.LengthRatio;
    public string Description => $"Rejected is empty, or outside {options.Value.MinLengthRatio:0.##}..{options.Value.MaxLengthRatio:0.##} times the chosen answer's length.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;

    public string? Check(PairCheckInput pair)
    {
        var rejected = pair.Rejected.Trimmed.Length;
        var chosen = pair.Chosen.Trimmed.Length;
        if (rejected == 0) return "rejected is empty";
        if (chosen == 0) return "chosen is empty";
        var ratio = (double)rejected / chosen;
        return ratio < options.Value.MinLengthRatio || ratio > options.Value.MaxLengthRatio
            ? $"rejected is {ratio:0.##}x the chosen length ({rejected:N0} vs {chosen:N0} characters)" : null;
    }
}

/// <summary>Media placeholders and chat special tokens inside an answer: trainers insert their own, and these break them.</summary>
public sealed partial class PlaceholderCheck : IPairCheck
{
    public string Id => CheckIds.Placeholder;
    public string Description => "An answer contains <image>, <video>, <audio> or a chat special token (<|im_start|>, </s>, [INST], ...).";
    public FindingSeverity DefaultSeverity => FindingSeverity.Block;

    public string? Check(PairCheckInput pair) =>
        Find(pair.Chosen.Raw) is { } inChosen ? $"chosen contains '{inChosen}'"
        : Find(pair.Rejected.Raw) is { } inRejected ? $"rejected contains '{inRejected}'" : null;

    private static string? Find(string text)
    {
        if (text.IndexOfAny(['<', '[']) < 0) return null;
        var match = Tokens().Match(text);
        return match.Success ? match.Value : null;
    }

    [GeneratedRegex(@"<\s*(image|video|audio)\s*>|<\|[A-Za-z0-9_]{1,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(start|end)_of_turn>|<(bos|eos|pad|unk)>|<\|?(im_start|im_end|endoftext)\|?>",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Tokens();
}

/// <summary>
/// Degenerate loops: a stretch where the text repeats itself with a period of 1 to 8 words, or one 4-gram that
/// recurs all over the text, covering at least the configured share of its words.
/// </summary>
public sealed class RepetitionCheck(IOptions<PairCheckOptions> options) : IPairCheck
{
    private const int MinWords = 8;

    public string Id => CheckIds.Repetition;
    public string Description => $"An answer repeats an n-gram over at least {options.Value.RepetitionShare:P0} of its words.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;

    public string? Check(PairCheckInput pair) =>
        Loop(pair.Rejected.Words, options.Value.RepetitionShare) is { } rejected ? $"rejected {rejected}"
        : Loop(pair.Chosen.Words, options.Value.RepetitionShare) is { } chosen ? $"chosen {chosen}" : null;

    public static string? Loop(string[] words, double share)
    {
        var n = words.Length;
        if (n < MinWords) return null;
        for (var period = 1; period <= 8 && period * 3 <= n; period++)
        {
            var run = 0;
            var best = 0;
            for (var i = period; i < n; i++)
            {
                run = string.Equals(words[i], words[i - period], StringComparison.Ordinal) ? run + 1 : 0;
                if (run > best) best = run;
            }
            var covered = best + period;
            if (best >= 2 * period && covered >= MinWords && covered >= share * n)
                return $"loops on \"{string.Join(' ', words.Skip(FirstRunStart(words, period, best)).Take(period))}\" over {covered} of {n} words";
        }
        if (n >= 16)
        {
            var grams = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i + 4 <= n; i++)
            {
                var key = string.Join('\u001f', words, i, 4);
                var count = grams[key] = grams.GetValueOrDefault(key) + 1;
                if (count * 4 >= share * n && count >= 4) return $"repeats \"{key.Replace('\u001f', ' ')}\" {count} times in {n} words";
            }
        }
        return null;
    }

    private static int FirstRunStart(string[] words, int period, int length)
    {
        var run = 0;
        for (var i = period; i < words.Length; i++)
        {
            run = string.Equals(words[i], words[i - period], StringComparison.Ordinal) ? run + 1 : 0;
            if (run == length) return i - length - period + 1;
        }
        return 0;
    }
}

/// <summary>An injected negative whose rewrite changed nothing, or only punctuation or case.</summary>
public sealed class NoChangeCheck : IPairCheck
{
    public string Id => CheckIds.NoChange;
    public string Description => "A model-free or LLM injection changed nothing but punctuation or case.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;

    public string? Check(PairCheckInput pair)
    {
        if (!IsInjection(pair.RejectedMethod) || pair.Chosen.Normalized != pair.Rejected.Normalized) return null;
        return pair.Chosen.Trimmed == pair.Rejected.Trimmed ? $"{pair.RejectedMethod} changed nothing" : $"{pair.RejectedMethod} changed only punctuation, spaces or case";
    }

    private static bool IsInjection(string? method) =>
        method is Injection.ModelFreeInjection.Method or Injection.LlmBackend.InjectionMethod;
}
