using System.Globalization;
using System.Text;

namespace BpoStudio.Core.Triage.Checks;

/// <summary>
/// A text as the checks compare it: NFKC, lower case, punctuation and symbols dropped, spaces folded, and split into
/// words. Han, kana and Thai characters are words of their own, since those scripts do not separate words by spaces.
/// </summary>
public sealed class TextProfile
{
    private string? _normalized;
    private string[]? _words;

    public TextProfile(string raw) => Raw = raw;

    public string Raw { get; }
    public string Trimmed => Raw.Trim();
    public string Normalized => _normalized ??= Normalize(Raw);
    public string[] Words => _words ??= Split(Normalized);

    public static string Normalize(string text) => Ascii.IsValid(text) ? NormalizeAscii(text) : NormalizeUnicode(text);

    // What Normalize does to each ASCII character: 0 for a separator, else the character in lower case. Built from the
    // same predicates as the general path, so the two agree by construction (a test compares them too).
    private static readonly char[] AsciiFold = [.. Enumerable.Range(0, 128).Select(i => (char)i)
        .Select(c => char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c) || char.IsControl(c) ? '\0' : char.ToLowerInvariant(c))];

    /// <summary>
    /// The usual English answer, without the per-character Unicode look-ups and the builder: profiling each pair's two
    /// texts was half of the checks' time over a million pairs. Returns the text itself when it is normalized already.
    /// </summary>
    internal static string NormalizeAscii(string text)
    {
        char[]? rented = null;
        Span<char> buffer = text.Length <= 1024 ? stackalloc char[text.Length] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(text.Length));
        var length = 0;
        var space = false;
        foreach (var c in text)
        {
            var folded = AsciiFold[c];
            if (folded == '\0')
            {
                space = length > 0;
                continue;
            }
            if (space) buffer[length++] = ' ';
            space = false;
            buffer[length++] = folded;
        }
        var result = buffer[..length].SequenceEqual(text) ? text : new string(buffer[..length]);
        if (rented is not null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
        return result;
    }

    internal static string NormalizeUnicode(string text)
    {
        var folded = text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC);
        var builder = new StringBuilder(folded.Length);
        var space = false;
        foreach (var c in folded)
        {
            if (char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c) || char.IsControl(c))
            {
                space = builder.Length > 0;
                continue;
            }
            if (space) builder.Append(' ');
            space = false;
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    private static string[] Split(string normalized)
    {
        if (normalized.Length == 0) return [];
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i < normalized.Length; i++)
        {
            var c = normalized[i];
            if (c == ' ' || IsOwnWord(c))
            {
                if (start >= 0) words.Add(normalized[start..i]);
                start = -1;
                if (c != ' ') words.Add(char.IsHighSurrogate(c) && i + 1 < normalized.Length ? normalized.Substring(i++, 2) : c.ToString());
                continue;
            }
            if (start < 0) start = i;
        }
        if (start >= 0) words.Add(normalized[start..]);
        return [.. words];
    }

    internal static bool IsOwnWord(char c) => Datasets.Scripts.IsWithoutSpaces(c);
}
