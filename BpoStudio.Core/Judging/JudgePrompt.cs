using System.Text.RegularExpressions;

namespace BpoStudio.Core.Judging;

/// <summary>
/// A versioned judge prompt: every score keeps the name of the template it was made with, so a changed prompt never
/// passes for the old one. <c>{question}</c>, <c>{a}</c> and <c>{b}</c> are filled in; the images go before the text.
/// The built-in ones are files (<c>Judging/Templates/&lt;name&gt;.txt</c>: the system text, a line
/// <c>=== user ===</c>, the user text); a lead's own versions of a dataset's template are <see cref="JudgeTemplate"/> rows.
/// </summary>
public sealed record JudgePrompt(string Name, string System, string User)
{
    public const string UserMarker = "=== user ===";
    public const int MaxLength = 8_000;
    private static readonly string[] Placeholders = ["{question}", "{a}", "{b}"];

    public static readonly JudgePrompt PairwiseV1 = BuiltIn("pairwise-v1");

    /// <summary>The prompt of claims mode: one claim of the rejected answer, <c>{claim}</c>, asked yes or no against the image.</summary>
    public static readonly JudgePrompt ClaimsV1 = BuiltIn("claims-v1");

    /// <summary>The pairwise prompts a dataset's judge can use.</summary>
    public static IReadOnlyList<JudgePrompt> BuiltIns { get; } = [PairwiseV1];

    // One pass: a question or an answer that itself contains "{a}" is left as written.
    public string Render(string question, string a, string b) =>
        Regex.Replace(User, @"\{(question|a|b)\}", m => m.Groups[1].Value switch { "question" => question, "a" => a, _ => b });

    public string RenderClaim(string question, string claim) =>
        Regex.Replace(User, @"\{(question|claim)\}", m => m.Groups[1].Value == "question" ? question : claim);

    /// <summary>Why a lead's template could not judge, naming the part; null when it can.</summary>
    public static string? Problem(string system, string user)
    {
        if (string.IsNullOrWhiteSpace(system)) return "The system text is empty.";
        if (system.Length > MaxLength || user.Length > MaxLength) return $"Each text must be at most {MaxLength:N0} characters.";
        if (Placeholders.FirstOrDefault(p => !user.Contains(p, StringComparison.Ordinal)) is { } missing)
            return $"The user text has no {missing}: it must place the question and both answers ({string.Join(", ", Placeholders)}).";
        if (!user.Contains("\"preferred\"", StringComparison.Ordinal))
            return "The user text must ask for the JSON verdict (\"preferred\", \"confidence\", \"rationale\"), or no reply can be read.";
        return null;
    }

    private static JudgePrompt BuiltIn(string name)
    {
        using var stream = typeof(JudgePrompt).Assembly.GetManifestResourceStream($"BpoStudio.Core.Judging.Templates.{name}.txt")
            ?? throw new InvalidOperationException($"The judge template file {name}.txt is not embedded.");
        var text = new StreamReader(stream).ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = text.IndexOf($"\n{UserMarker}\n", StringComparison.Ordinal);
        return new JudgePrompt(name, text[..split].Trim(), text[(split + UserMarker.Length + 2)..].TrimEnd());
    }
}
