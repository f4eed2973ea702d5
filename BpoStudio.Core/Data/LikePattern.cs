namespace BpoStudio.Core.Data;

/// <summary>
/// A LIKE pattern matching a user's text anywhere, with <c>%</c>, <c>_</c> and the escape itself taken literally:
/// use as <c>EF.Functions.Like(column, LikePattern.Containing(text), LikePattern.Escape)</c>. Unescaped, a search for
/// "%" matched every pair.
/// </summary>
public static class LikePattern
{
    public const string Escape = "\\";

    public static string Containing(string text) =>
        "%" + text.Replace(Escape, Escape + Escape).Replace("%", Escape + "%").Replace("_", Escape + "_") + "%";
}
