using MathNet.Numerics.Distributions;

namespace BpoStudio.Core.Judging;

/// <summary>Judge against people on one pair of the blind sample: the judge's preference for the chosen answer, and whether people accepted the pair.</summary>
public readonly record struct Judged(double Score, bool Accepted, string? Method = null);

public sealed record Agreement(int Pairs, int Agreeing, int Ties, double? Rate, double? Kappa);

/// <summary>One confidence bin of the reliability chart: pairs whose score lies in [Low, High), their mean score and people's acceptance.</summary>
public sealed record ReliabilityBin(double Low, double High, int Pairs, double? MeanScore, double? Acceptance);

/// <summary>One score band of the blind sample: its lower edge, the pending pairs in it, and the sample's reviews.</summary>
public sealed record BandCount(double Low, double High, long Pending, int Reviewed, int Accepted);

/// <summary>"Accept all at or above t": how many pairs, the estimated acceptance among them, and its interval.</summary>
public sealed record ThresholdEstimate(double Threshold, long Pairs, double? Acceptance, double Low, double High);

/// <summary>The figures behind the judge's calibration, as functions of the sample alone (checked against hand-computed values).</summary>
public static class CalibrationStatistics
{
    public const double Alpha = 0.05;

    /// <summary>
    /// The judge says accept when its score is above one half and reject below; a score of exactly one half is a tie and
    /// left out. Agreement is the share of the rest on which judge and people agree; Cohen's kappa corrects it for chance.
    /// </summary>
    public static Agreement Agreement(IReadOnlyList<Judged> pairs)
    {
        var decided = pairs.Where(p => p.Score != 0.5).ToList();
        var ties = pairs.Count - decided.Count;
        if (decided.Count == 0) return new Agreement(0, 0, ties, null, null);
        var n = (double)decided.Count;
        var agree = decided.Count(p => p.Score > 0.5 == p.Accepted);
        var judgeYes = decided.Count(p => p.Score > 0.5) / n;
        var peopleYes = decided.Count(p => p.Accepted) / n;
        var expected = judgeYes * peopleYes + (1 - judgeYes) * (1 - peopleYes);
        var observed = agree / n;
        return new Agreement(decided.Count, agree, ties, observed, expected >= 1 ? null : (observed - expected) / (1 - expected));
    }

    /// <summary>People's acceptance per score bin, and the expected calibration error: Σ (bin share) × |acceptance − mean score|.</summary>
    public static (IReadOnlyList<ReliabilityBin> Bins, double? Ece) Reliability(IReadOnlyList<Judged> pairs, int bins = 10)
    {
        var result = new List<ReliabilityBin>();
        double ece = 0;
        for (var b = 0; b < bins; b++)
        {
            var (low, high) = ((double)b / bins, (double)(b + 1) / bins);
            var inBin = pairs.Where(p => p.Score >= low && (p.Score < high || (b == bins - 1 && p.Score <= high))).ToList();
            if (inBin.Count == 0)
            {
                result.Add(new ReliabilityBin(low, high, 0, null, null));
                continue;
            }
            var mean = inBin.Average(p => p.Score);
            var acceptance = inBin.Count(p => p.Accepted) / (double)inBin.Count;
            result.Add(new ReliabilityBin(low, high, inBin.Count, mean, acceptance));
            ece += (double)inBin.Count / pairs.Count * Math.Abs(acceptance - mean);
        }
        return (result, pairs.Count == 0 ? null : ece);
    }

    /// <summary>The exact (Clopper–Pearson) interval for k successes in n trials at level 1 − alpha.</summary>
    public static (double Low, double High) ClopperPearson(int k, int n, double alpha)
    {
        if (n == 0) return (0, 1);
        var low = k == 0 ? 0 : Beta.InvCDF(k, n - k + 1, alpha / 2);
        var high = k == n ? 1 : Beta.InvCDF(k + 1, n - k, 1 - alpha / 2);
        return (low, high);
    }

    /// <summary>
    /// The acceptance among the pending pairs at or above each band's lower edge: the bands' sample acceptances
    /// weighted by their pending pairs (the stratified estimator). Each band's Clopper–Pearson interval is taken at
    /// 1 − alpha/B (Bonferroni over the B bands), so all of them hold at once with probability at least 1 − alpha, and so
    /// does every weighted combination: the interval stays valid for a threshold chosen after looking at the figures.
    /// </summary>
    public static IReadOnlyList<ThresholdEstimate> AtOrAbove(IReadOnlyList<BandCount> bands, double alpha = Alpha)
    {
        var perBand = bands.Select(b => ClopperPearson(b.Accepted, b.Reviewed, alpha / bands.Count)).ToList();
        var estimates = new List<ThresholdEstimate>();
        for (var from = 0; from < bands.Count; from++)
        {
            var chosen = Enumerable.Range(from, bands.Count - from).Where(i => bands[i].Pending > 0).ToList();
            var pending = chosen.Sum(i => bands[i].Pending);
            if (pending == 0)
            {
                estimates.Add(new ThresholdEstimate(bands[from].Low, 0, null, 0, 1));
                continue;
            }
            double Weighted(Func<int, double> value) => chosen.Sum(i => bands[i].Pending * value(i)) / pending;
            var unmeasured = chosen.Any(i => bands[i].Reviewed == 0);
            estimates.Add(new ThresholdEstimate(bands[from].Low, pending,
                unmeasured ? null : Weighted(i => (double)bands[i].Accepted / bands[i].Reviewed), Weighted(i => perBand[i].Low), Weighted(i => perBand[i].High)));
        }
        return estimates;
    }
}
