using System.Text;

namespace BpoStudio.Core.Export;

/// <summary>
/// User text (a dataset's name, who approved it) written into a generated README as text: Markdown and HTML syntax
/// escaped, so a name cannot become a link, a heading or raw HTML in a viewer, and bidirectional controls shown as
/// their code points, so an override in a name cannot reorder the words around it.
/// </summary>
public static class MarkdownText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '&': builder.Append("&amp;"); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '(' or ')' or '#' or '|' or '!' or '~':
                    builder.Append('\\').Append(c);
                    break;
                case '\r' or '\n': builder.Append(' '); break;
                case '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'):
                    builder.Append("&lt;U+").Append(((int)c).ToString("X4")).Append("&gt;");
                    break;
                default: builder.Append(c); break;
            }
        }
        return builder.ToString();
    }
}
