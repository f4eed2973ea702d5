using System.Text;
using System.Text.RegularExpressions;

namespace BpoStudio.Core.Injection;

public enum ErrorCategory
{
    Object,
    Colour,
    Count,
    Relation,
    Attribute,
    Text,
}

/// <summary>A changed region of the injected text, in the injected text's coordinates.</summary>
public sealed record ChangedSpan(int Start, int Length, string Original, string Replacement, ErrorCategory Category);

public sealed record InjectionResult(string? Text, IReadOnlyList<ChangedSpan> Spans, string? Failure)
{
    public bool Succeeded => Text is not null;
}

/// <summary>
/// Offline error injection: swaps objects for ones that co-occur, colours, counts, spatial relations, attributes,
/// and numbers or quoted text. Deterministic for (text, seed); never returns its input unchanged.
/// </summary>
public sealed partial class ModelFreeInjector(InjectionLexicon lexicon)
{
    private readonly Dictionary<string, Candidate> _phrases = BuildPhraseTable(lexicon);
    private readonly Regex _phrasePattern = BuildPattern(lexicon);

    public ModelFreeInjector() : this(InjectionLexicon.Default)
    {
    }

    public InjectionResult Inject(string text, long seed, int maxEdits = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var matches = FindCandidates(text);
        if (matches.Count == 0)
            return new(null, [], "nothing to change: no objects, colours, counts, relations, attributes, numbers or quoted text found");

        // Prefer edits of different kinds so one negative carries several plausible errors.
        var order = matches.OrderBy(_ => random.Next()).ToList();
        var chosen = new List<(Match Match, ErrorCategory Category, string Replacement)>();
        foreach (var (match, category) in order)
        {
            if (chosen.Count >= maxEdits) break;
            if (chosen.Any(c => Overlaps(c.Match, match) || c.Category == category)) continue;
            var replacement = Replace(match.Value, category, random);
            if (replacement is not null && replacement != match.Value) chosen.Add((match, category, replacement));
        }
        if (chosen.Count == 0)
            return new(null, [], "nothing to change: every candidate word had no different replacement");

        var builder = new StringBuilder(text.Length + 16);
        var spans = new List<ChangedSpan>(chosen.Count);
        var cursor = 0;
        foreach (var (match, category, replacement) in chosen.OrderBy(c => c.Match.Index))
        {
            builder.Append(text, cursor, match.Index - cursor);
            spans.Add(new ChangedSpan(builder.Length, replacement.Length, match.Value, replacement, category));
            builder.Append(replacement);
            cursor = match.Index + match.Length;
        }
        builder.Append(text, cursor, text.Length - cursor);
        return new(builder.ToString(), spans, null);
    }

    private List<(Match Match, ErrorCategory Category)> FindCandidates(string text)
    {
        var found = new List<(Match, ErrorCategory)>();
        foreach (Match m in _phrasePattern.Matches(text))
            if (_phrases.TryGetValue(m.Value.ToLowerInvariant(), out var candidate)) found.Add((m, candidate.Category));
        foreach (Match m in DigitsPattern().Matches(text)) found.Add((m, ErrorCategory.Text));
        foreach (Match m in QuotedPattern().Matches(text)) found.Add((m, ErrorCategory.Text));
        return found;
    }

    private string? Replace(string original, ErrorCategory category, Random random)
    {
        if (category == ErrorCategory.Text)
            return original.StartsWith('"') || original.StartsWith('\u201C') ? AlterQuoted(original, random) : AlterDigits(original, random);

        var candidate = _phrases[original.ToLowerInvariant()];
        var options = candidate.Alternatives;
        if (options.Count == 0) return null;
        var pick = options[random.Next(options.Count)];
        return MatchCase(original, pick);
    }

    private static string AlterDigits(string digits, Random random)
    {
        var value = long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        var delta = random.Next(1, 4) * (random.Next(2) == 0 ? -1 : 1);
        var altered = Math.Max(0, value + delta);
        if (altered == value) altered = value + 1;
        return altered.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string AlterQuoted(string quoted, Random random)
    {
        var inner = quoted[1..^1].ToCharArray();
        var letters = Enumerable.Range(0, inner.Length).Where(i => char.IsLetter(inner[i])).ToList();
        if (letters.Count == 0) return quoted[0] + "OPEN" + quoted[^1];
        var at = letters[random.Next(letters.Count)];
        var c = inner[at];
        var next = (char)((char.ToLowerInvariant(c) - 'a' + random.Next(1, 25)) % 26 + 'a');
        inner[at] = char.IsUpper(c) ? char.ToUpperInvariant(next) : next;
        return quoted[0] + new string(inner) + quoted[^1];
    }

    private static string MatchCase(string original, string replacement) =>
        original.Length > 0 && char.IsUpper(original[0])
            ? (original.All(ch => !char.IsLetter(ch) || char.IsUpper(ch)) && original.Length > 1
                ? replacement.ToUpperInvariant()
                : char.ToUpperInvariant(replacement[0]) + replacement[1..])
            : replacement;

    private static bool Overlaps(Match a, Match b) => a.Index < b.Index + b.Length && b.Index < a.Index + a.Length;

    private sealed record Candidate(ErrorCategory Category, List<string> Alternatives);

    private static Dictionary<string, Candidate> BuildPhraseTable(InjectionLexicon lexicon)
    {
        var table = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        void Add(string word, ErrorCategory category, IEnumerable<string> alternatives) =>
            table.TryAdd(word, new Candidate(category, alternatives.Where(a => a != word).Distinct().ToList()));

        foreach (var colour in lexicon.Colours)
            // "gray" is read but never written: one spelling in the negatives, the one the demo and British captions use.
            Add(colour, ErrorCategory.Colour, lexicon.Colours.Where(c => c != "gray" && !(c == "grey" && colour is "grey" or "gray")));
        foreach (var group in lexicon.ObjectGroups)
            foreach (var noun in group)
            {
                Add(noun, ErrorCategory.Object, group);
                Add(lexicon.Plural(noun), ErrorCategory.Object, group.Select(lexicon.Plural));
            }
        foreach (var pair in lexicon.Relations.Concat(lexicon.Attributes))
        {
            var category = lexicon.Relations.Contains(pair) ? ErrorCategory.Relation : ErrorCategory.Attribute;
            Add(pair[0], category, [pair[1]]);
            Add(pair[1], category, [pair[0]]);
        }
        // "one" stays: changing it would break agreement with a singular noun.
        var numbers = lexicon.NumberWords;
        for (var i = 2; i < numbers.Count; i++)
            Add(numbers[i], ErrorCategory.Count, numbers.Skip(2).Where((_, j) => Math.Abs(j + 2 - i) <= 3));
        return table;
    }

    private static Regex BuildPattern(InjectionLexicon lexicon)
    {
        var words = BuildPhraseTable(lexicon).Keys.OrderByDescending(w => w.Length).Select(Regex.Escape);
        return new Regex(@"(?<![\p{L}\p{N}])(?:" + string.Join("|", words) + @")(?![\p{L}\p{N}])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    [GeneratedRegex(@"(?<![\p{L}\p{N}.,])\d{1,9}(?![\p{L}\p{N}]|[.,]\d)")]
    private static partial Regex DigitsPattern();

    [GeneratedRegex("\"[^\"\\n]{1,80}\"|\u201C[^\u201D\\n]{1,80}\u201D")]
    private static partial Regex QuotedPattern();
}
