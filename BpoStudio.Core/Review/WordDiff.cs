using DiffPlex;
using DiffPlex.Chunkers;
using DiffPlex.Model;

namespace BpoStudio.Core.Review;

public enum DiffKind
{
    Same,
    Removed,
    Added,
}

public sealed record DiffSegment(DiffKind Kind, string Text);

/// <summary>Word-level diff of a negative against the chosen answer, for highlighting what changed.</summary>
public static partial class WordDiff
{
    private static readonly WordsWithSpaceChunker Words = new();

    public static IReadOnlyList<DiffSegment> Compute(string chosen, string rejected)
    {
        var result = Differ.Instance.CreateDiffs(chosen, rejected, ignoreWhiteSpace: false, ignoreCase: false, Words);
        var segments = new List<DiffSegment>();
        var position = 0;
        foreach (var block in result.DiffBlocks)
        {
            Append(segments, DiffKind.Same, result.PiecesOld, position, block.DeleteStartA - position);
            Append(segments, DiffKind.Removed, result.PiecesOld, block.DeleteStartA, block.DeleteCountA);
            Append(segments, DiffKind.Added, result.PiecesNew, block.InsertStartB, block.InsertCountB);
            position = block.DeleteStartA + block.DeleteCountA;
        }
        Append(segments, DiffKind.Same, result.PiecesOld, position, result.PiecesOld.Count - position);
        return segments;
    }

    /// <summary>Each run of words <paramref name="after"/> has that <paramref name="before"/> lacks, as (start, length) in after, without trailing spaces.</summary>
    public static IEnumerable<(int Start, int Length)> AddedRuns(string before, string after)
    {
        var position = 0;
        foreach (var segment in Compute(before, after))
        {
            if (segment.Kind == DiffKind.Removed) continue;
            var length = segment.Text.TrimEnd().Length;
            if (segment.Kind == DiffKind.Added && length > 0) yield return (position, length);
            position += segment.Text.Length;
        }
    }

    // Each piece is a word with the spaces after it, so shared spaces never align two different sentences.
    private sealed class WordsWithSpaceChunker : IChunker
    {
        public IReadOnlyList<string> Chunk(string text) => WordPattern().Matches(text).Select(m => m.Value).ToArray();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\s+|\S+\s*")]
    private static partial System.Text.RegularExpressions.Regex WordPattern();

    private static void Append(List<DiffSegment> segments, DiffKind kind, IReadOnlyList<string> pieces, int start, int count)
    {
        if (count <= 0) return;
        var text = string.Concat(pieces.Skip(start).Take(count));
        if (segments.Count > 0 && segments[^1].Kind == kind) segments[^1] = segments[^1] with { Text = segments[^1].Text + text };
        else segments.Add(new DiffSegment(kind, text));
    }
}
