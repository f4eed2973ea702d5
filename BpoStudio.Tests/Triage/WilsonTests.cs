using BpoStudio.Core.Triage;

namespace BpoStudio.Tests.Triage;

public class WilsonTests
{
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (score interval).
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Interval_MatchesNewcombesPublishedValues(int successes, int trials, double low, double high)
    {
        var (l, h) = Wilson.Interval(successes, trials);
        Assert.Equal(low, l, 4);
        Assert.Equal(high, h, 4);
    }

    [Fact]
    public void Interval_OfAllSuccesses_EndsAtOne_AndIsSymmetricToNone()
    {
        var (low, high) = Wilson.Interval(20, 20);
        Assert.Equal(1, high);
        Assert.Equal(1 - 0.1611, low, 4);
        Assert.Equal((0, 1), Wilson.Interval(0, 0));
    }

    [Fact]
    public void SampleSize_IsTheTextbookFigure_WithTheFinitePopulationCorrection()
    {
        Assert.Equal(385, Wilson.SampleSize(0.05, null, population: 0)); // 1.96^2 * 0.25 / 0.05^2 = 384.1
        Assert.Equal(139, Wilson.SampleSize(0.05, 0.9, population: 0));
        Assert.Equal(80, Wilson.SampleSize(0.05, null, population: 100)); // 384.1 / (1 + 383.1 / 100) = 79.5
        Assert.Throws<ArgumentOutOfRangeException>(() => Wilson.SampleSize(0, null, 10));
    }
}
