using System.Globalization;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Triage.Checks;

/// <summary>Refusals and remarks about the task instead of an answer, in English, Chinese, Japanese, Spanish, French and German.</summary>
public sealed class RefusalCheck : IPairCheck
{
    // Lower case, straight apostrophes; matched anywhere in the lower-cased answer.
    private static readonly string[] Phrases =
    [
        "i'm sorry", "i am sorry", "i apologize", "as an ai", "as a language model", "i cannot see", "i can't see", "i am unable to see",
        "i'm unable to", "i am unable to", "i cannot view", "i can't view", "i cannot determine", "unable to view the image", "i don't have access to the image",
        "here is the rewritten", "here's the rewritten", "here is a rewritten", "here is the modified", "here's the modified", "rewritten answer:",
        "rewritten version", "i cannot help with", "i can't help with", "i cannot assist", "i can't assist", "there is no image",
        "抱歉", "对不起", "作为一个人工智能", "作为ai", "我无法看到", "我看不到图片", "以下是改写", "申し訳ありません", "画像を見ることができません", "aiとして",
        "lo siento", "como modelo de lenguaje", "como ia", "no puedo ver la imagen", "aquí está la respuesta reescrita",
        "je suis désolé", "en tant qu'ia", "en tant que modèle de langage", "je ne peux pas voir l'image", "voici la réponse réécrite",
        "es tut mir leid", "als ki", "als sprachmodell", "ich kann das bild nicht sehen", "hier ist die umgeschriebene",
    ];

    public string Id => CheckIds.Refusal;
    public string Description => "An answer refuses or talks about the task (\"I'm sorry\", \"As an AI\", \"Here is the rewritten...\").";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;

    public string? Check(PairCheckInput pair) =>
        Find(pair.Rejected.Raw) is { } rejected ? $"rejected says \"{rejected}\""
        : Find(pair.Chosen.Raw) is { } chosen ? $"chosen says \"{chosen}\"" : null;

    // Every phrase searched in one pass, ignoring case: most answers hold none, and lower-casing each answer to test
    // the phrases one by one was a fifth of the checks' time over a million pairs. Only for ASCII text, where ignoring
    // case is exactly lower-casing; the loop below then names the first phrase of the list, as before.
    private static readonly System.Buffers.SearchValues<string> AnyAsciiPhrase = System.Buffers.SearchValues.Create(
        [.. Phrases.Where(p => System.Text.Ascii.IsValid(p))], StringComparison.OrdinalIgnoreCase);

    public static string? Find(string text)
    {
        if (System.Text.Ascii.IsValid(text) && text.AsSpan().IndexOfAny(AnyAsciiPhrase) < 0) return null;
        var lower = text.ToLowerInvariant().Replace('\u2019', '\'');
        foreach (var phrase in Phrases)
            if (lower.Contains(phrase, StringComparison.Ordinal)) return phrase;
        return null;
    }
}

/// <summary>Chosen and rejected written in different scripts, or, in Latin script, in different languages by their common words.</summary>
public sealed class LanguageMismatchCheck : IPairCheck
{
    private static readonly (string Language, HashSet<string> Words)[] Latin =
    [
        ("English", ["the", "is", "and", "of", "a", "in", "are", "there", "with", "on", "this", "it", "to", "image", "shows"]),
        ("Spanish", ["el", "la", "los", "las", "es", "y", "de", "en", "un", "una", "hay", "con", "que", "imagen"]),
        ("French", ["le", "la", "les", "est", "et", "de", "des", "un", "une", "il", "y", "a", "dans", "sur", "avec", "image"]),
        ("German", ["der", "die", "das", "ist", "und", "ein", "eine", "mit", "auf", "im", "es", "gibt", "bild", "zu"]),
        ("Portuguese", ["o", "os", "as", "é", "e", "de", "em", "um", "uma", "há", "com", "que", "imagem", "na", "no"]),
        ("Italian", ["il", "lo", "gli", "è", "e", "di", "un", "una", "ci", "sono", "con", "che", "immagine", "nel"]),
    ];

    // Each common word with the languages it belongs to as bits: one look-up per word instead of one per language.
    private static readonly Dictionary<string, int> LatinLanguagesOf = Latin.SelectMany((language, l) => language.Words.Select(w => (w, l)))
        .GroupBy(x => x.w, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Aggregate(0, (bits, x) => bits | 1 << x.l), StringComparer.Ordinal);

    private const string LatinUnknown = "Latin";
    private static readonly HashSet<string> LatinLanguages = [.. Latin.Select(l => l.Language)];

    public string Id => CheckIds.LanguageMismatch;
    public string Description => "Chosen and rejected are in different scripts or languages.";
    public FindingSeverity DefaultSeverity => FindingSeverity.Warn;

    public string? Check(PairCheckInput pair)
    {
        var chosen = Identify(pair.Chosen);
        var rejected = Identify(pair.Rejected);
        if (chosen is null || rejected is null || chosen == rejected) return null;
        // "Latin" is a script whose language the words did not tell: it disagrees only with another script, not with English.
        if ((chosen == LatinUnknown) != (rejected == LatinUnknown) && LatinLanguages.Contains(chosen == LatinUnknown ? rejected : chosen)) return null;
        return $"chosen is {chosen}, rejected is {rejected}";
    }

    private const int LatinScript = 0, KanaScript = 7, HanScript = 9;
    private static readonly string[] Scripts = ["Latin", "Greek", "Cyrillic", "Hebrew", "Arabic", "Devanagari", "Thai", "Kana", "Hangul", "Han"];

    /// <summary>The text's script (or its language, within Latin script), or null when too little text says.</summary>
    /// <remarks>Counted in an array, not a dictionary: this check was most of the checks' time over a million pairs.</remarks>
    public static string? Identify(TextProfile text)
    {
        Span<int> counts = stackalloc int[Scripts.Length];
        var letters = 0;
        foreach (var c in text.Normalized)
        {
            var script = Script(c);
            if (script < 0) continue;
            counts[script]++;
            letters++;
        }
        if (letters < 4) return null;
        // Japanese mixes kanji and kana; Chinese has no kana.
        var kana = counts[KanaScript];
        if (kana > 0 && kana + counts[HanScript] >= 0.6 * letters) return "Japanese";
        var top = 0;
        for (var s = 1; s < counts.Length; s++) if (counts[s] > counts[top]) top = s;
        if (counts[top] < 0.6 * letters) return null; // mixed text: no verdict
        if (top != LatinScript) return Scripts[top];
        // The language with the most common words, if it has at least three and twice the next one's.
        Span<int> hitsOf = stackalloc int[Latin.Length];
        foreach (var word in text.Words)
            if (LatinLanguagesOf.TryGetValue(word, out var languages))
                for (var l = 0; l < Latin.Length; l++) if ((languages & (1 << l)) != 0) hitsOf[l]++;
        int best = -1, bestHits = 0, secondHits = 0;
        for (var l = 0; l < Latin.Length; l++)
        {
            var hits = hitsOf[l];
            if (best < 0 || hits > bestHits) (best, bestHits, secondHits) = (l, hits, best < 0 ? 0 : bestHits);
            else if (hits > secondHits) secondHits = hits;
        }
        return bestHits >= 3 && bestHits >= 2 * secondHits ? Latin[best].Language : LatinUnknown;
    }

    // An index into Scripts, or -1 for what is not a letter.
    private static int Script(char c)
    {
        if (c < 'a') return -1; // digits and spaces (the text is already lower case without punctuation)
        if (c <= 'z' || c is >= '\u00C0' and <= '\u024F') return LatinScript;
        if (c is >= '\u0370' and <= '\u03FF') return 1;
        if (c is >= '\u0400' and <= '\u04FF') return 2;
        if (c is >= '\u0590' and <= '\u05FF') return 3;
        if (c is >= '\u0600' and <= '\u06FF') return 4;
        if (c is >= '\u0900' and <= '\u097F') return 5;
        if (c is >= '\u0E00' and <= '\u0E7F') return 6;
        if (c is >= '\u3040' and <= '\u30FF') return KanaScript;
        if (c is >= '\uAC00' and <= '\uD7AF' or >= '\u1100' and <= '\u11FF') return 8;
        if (c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF') return HanScript;
        return char.GetUnicodeCategory(c) is UnicodeCategory.LowercaseLetter or UnicodeCategory.UppercaseLetter ? LatinScript : -1;
    }
}
