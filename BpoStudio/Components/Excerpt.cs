namespace BpoStudio.Components;

/// <summary>A short label from a long text: one line, ended at a word boundary with an ellipsis, never mid-word.</summary>
public static class Excerpt
{
    public static string Of(string text, int maxLength)
    {
        var line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (line.Length <= maxLength) return line;
        var cut = line.LastIndexOf(' ', maxLength - 1);
        // A single word longer than the whole label is cut, as nothing else would fit.
        return (cut > maxLength / 2 ? line[..cut] : line[..(maxLength - 1)]).TrimEnd(',', ';', ':', '.', ' ') + "…";
    }
}
