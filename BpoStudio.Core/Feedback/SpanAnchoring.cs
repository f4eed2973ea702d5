using DiffPlex;

namespace BpoStudio.Core.Feedback;

/// <summary>
/// Maps character offsets of one text version onto the next through a character diff: a span whose characters the
/// edit left alone moves with them; one the edit touched is carried as stale, at the nearest place, for a person to look at.
/// </summary>
public static class SpanAnchoring
{
    /// <summary>For each character of <paramref name="before"/>, where it is in <paramref name="after"/>, or -1 when the edit removed or replaced it.</summary>
    public static int[] Map(string before, string after)
    {
        var map = new int[before.Length];
        var diff = Differ.Instance.CreateDiffs(before, after, ignoreWhiteSpace: false, ignoreCase: false, new DiffPlex.Chunkers.CharacterChunker());
        int a = 0, b = 0;
        foreach (var block in diff.DiffBlocks)
        {
            while (a < block.DeleteStartA) map[a++] = b++;
            for (var i = 0; i < block.DeleteCountA; i++) map[a++] = -1;
            b = block.InsertStartB + block.InsertCountB;
        }
        while (a < before.Length) map[a++] = b++;
        return map;
    }

    /// <summary>
    /// The span's place in the new text, and whether every one of its characters survived there, in one piece. A span
    /// the edit touched keeps at least one character of the new text, so it can still be shown and removed.
    /// </summary>
    public static (int Start, int Length, bool Intact) Carry(int[] map, int start, int length, int newLength)
    {
        var first = map[start];
        var intact = first >= 0;
        for (var i = 1; i < length && intact; i++) intact = map[start + i] == first + i;
        if (intact) return (first, length, true);
        // Just after the nearest surviving character before the span, so a stale span starts where the words were.
        var anchor = 0;
        for (var i = start - 1; i >= 0; i--)
            if (map[i] >= 0) { anchor = map[i] + 1; break; }
        anchor = Math.Max(0, Math.Min(anchor, newLength - 1)); // an edit never leaves an empty answer
        return (anchor, Math.Max(1, Math.Min(length, newLength - anchor)), false);
    }
}
