using BpoStudio.Core.Review;

namespace BpoStudio.Tests.Review;

public class WordDiffTests
{
    [Fact]
    public void MarksChangedWordsOnly()
    {
        var segments = WordDiff.Compute("A red bus is parked on the left.", "A green bus is parked on the right.");

        Assert.Equal(["red ", "left."], segments.Where(s => s.Kind == DiffKind.Removed).Select(s => s.Text));
        Assert.Equal(["green ", "right."], segments.Where(s => s.Kind == DiffKind.Added).Select(s => s.Text));
        Assert.Equal("A green bus is parked on the right.", string.Concat(segments.Where(s => s.Kind != DiffKind.Removed).Select(s => s.Text)));
        Assert.Equal("A red bus is parked on the left.", string.Concat(segments.Where(s => s.Kind != DiffKind.Added).Select(s => s.Text)));
    }

    [Fact]
    public void UnrelatedSentences_DoNotInterleaveOnSharedSpaces()
    {
        var segments = WordDiff.Compute("There is one red object in the image.", "A rather different answer");
        Assert.Equal([DiffKind.Removed, DiffKind.Added], segments.Select(s => s.Kind));
    }

    [Fact]
    public void IdenticalTexts_AreOneSameSegment()
    {
        Assert.Equal([new DiffSegment(DiffKind.Same, "Same text.")], WordDiff.Compute("Same text.", "Same text."));
    }
}
