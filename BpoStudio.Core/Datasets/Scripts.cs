using System.Globalization;

namespace BpoStudio.Core.Datasets;

public static class Scripts
{
    /// <summary>CJK ideographs (and their surrogate-pair extensions), kana and Thai: scripts that do not separate words by spaces.</summary>
    public static bool IsWithoutSpaces(char c) =>
        c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\u3040' and <= '\u30FF' or >= '\u0E00' and <= '\u0E7F'
        || char.IsHighSurrogate(c) || c is >= '\uF900' and <= '\uFAFF' && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.OtherLetter;
}
