using BpoStudio.Core.Judging;

namespace BpoStudio.Tests.Judging;

/// <summary>The calibration figures against values computed by hand, and the threshold interval's coverage in a seeded simulation.</summary>
public class CalibrationStatisticsTests
{
    [Fact]
    public void AgreementAndKappa_MatchAHandComputedTable()
    {
        // Judge accept/people accept: 4 yes-yes, 1 yes-no, 2 no-yes, 3 no-no; one tie left out.
        var pairs = new List<Judged>();
        pairs.AddRange(Enumerable.Repeat(new Judged(0.9, true), 4));
        pairs.Add(new Judged(0.75, false));
        pairs.AddRange(Enumerable.Repeat(new Judged(0.25, true), 2));
        pairs.AddRange(Enumerable.Repeat(new Judged(0.0, false), 3));
        pairs.Add(new Judged(0.5, true));
        var agreement = CalibrationStatistics.Agreement(pairs);
        // po = 7/10; judge yes 0.5, people yes 0.6: pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4.
        Assert.Equal((10, 7, 1), (agreement.Pairs, agreement.Agreeing, agreement.Ties));
        Assert.Equal(0.7, agreement.Rate!.Value, 12);
        Assert.Equal(0.4, agreement.Kappa!.Value, 12);
    }

    [Fact]
    public void Ece_IsTheShareWeightedGapBetweenAcceptanceAndMeanScore()
    {
        // Bin [0.9, 1]: scores 0.9, 1.0 (mean 0.95), 1 of 2 accepted: gap 0.45. Bin [0.2, 0.3): 0.2, 0.2 (mean 0.2), 0 of 2: gap 0.2.
        var pairs = new[] { new Judged(0.9, true), new Judged(1.0, false), new Judged(0.2, false), new Judged(0.2, false) };
        var (bins, ece) = CalibrationStatistics.Reliability(pairs);
        Assert.Equal(10, bins.Count);
        Assert.Equal((2, 0.95, 0.5), (bins[9].Pairs, bins[9].MeanScore!.Value, bins[9].Acceptance!.Value));
        Assert.Equal(0.5 * 0.45 + 0.5 * 0.2, ece!.Value, 12);
    }

    [Fact]
    public void ClopperPearson_MatchesKnownValues()
    {
        var (low, high) = CalibrationStatistics.ClopperPearson(5, 10, 0.05);
        Assert.Equal(0.187086, low, 5);
        Assert.Equal(0.812914, high, 5);
        var (zeroLow, zeroHigh) = CalibrationStatistics.ClopperPearson(0, 10, 0.05);
        Assert.Equal(0.0, zeroLow);
        Assert.Equal(1 - Math.Pow(0.025, 0.1), zeroHigh, 9);
        Assert.Equal((0.0, 1.0), CalibrationStatistics.ClopperPearson(0, 0, 0.05));
    }

    [Fact]
    public void TheThresholdEstimate_WeightsEachBandByItsPendingPairs()
    {
        BandCount[] bands = [new(0, 0.2, 100, 10, 1), new(0.2, 0.4, 0, 10, 3), new(0.4, 0.6, 50, 10, 5), new(0.6, 0.8, 200, 10, 8), new(0.8, 1.0, 800, 10, 10)];
        var at = CalibrationStatistics.AtOrAbove(bands);
        // At or above 0.6: (200 * 0.8 + 800 * 1.0) / 1000 = 0.96.
        Assert.Equal((1000L, 0.96), (at[3].Pairs, at[3].Acceptance!.Value));
        Assert.Equal(1150L, at[0].Pairs); // every band's pending pairs
        // 10 of 10 at 1 - 0.05/5: the lower bound is 0.005^(1/10).
        Assert.Equal(Math.Pow(0.005, 0.1), at[4].Low, 9);
        Assert.Equal(1.0, at[4].High);
    }

    /// <summary>
    /// A population whose judge is good in its top bands and poor in the middle; many seeded runs of sampling the bands
    /// and estimating "accept at or above t" for every t: the reported intervals must cover the true acceptance of the
    /// pending pairs at or above each t, all at once, in at least 95 % of runs.
    /// </summary>
    [Fact]
    public void TheReportedInterval_CoversTheTrueAcceptance_InAtLeast95PercentOfSeededRuns()
    {
        int[] sizes = [3_000, 1_500, 1_000, 2_500, 6_000];
        double[] truth = [0.15, 0.45, 0.6, 0.85, 0.97];
        const int runs = 400, perBand = 30;
        var covered = 0;
        for (var run = 0; run < runs; run++)
        {
            var random = new Random(1_000 + run);
            var bands = new List<BandCount>();
            var remaining = new List<(long Pending, long Accepted)>();
            for (var b = 0; b < 5; b++)
            {
                var labels = Enumerable.Range(0, sizes[b]).Select(_ => random.NextDouble() < truth[b]).ToArray();
                random.Shuffle(labels);
                var sample = labels.Take(perBand).ToArray();
                var rest = labels.Skip(perBand).ToArray();
                bands.Add(new BandCount(b * 0.2, (b + 1) * 0.2, rest.Length, sample.Length, sample.Count(x => x)));
                remaining.Add((rest.Length, rest.Count(x => x)));
            }
            var estimates = CalibrationStatistics.AtOrAbove(bands);
            var all = true;
            for (var t = 0; t < 5; t++)
            {
                var pending = remaining.Skip(t).Sum(r => r.Pending);
                var actual = (double)remaining.Skip(t).Sum(r => r.Accepted) / pending;
                all &= estimates[t].Low <= actual && actual <= estimates[t].High;
            }
            if (all) covered++;
        }
        Assert.True(covered >= 0.95 * runs, $"the intervals covered every threshold's true acceptance in {covered} of {runs} runs");
    }
}
