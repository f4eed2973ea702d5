namespace BpoStudio.Core.Triage;

/// <summary>The Wilson score interval for a binomial proportion, and the sample size a margin needs.</summary>
public static class Wilson
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    public static (double Low, double High) Interval(int successes, int trials, double z = Z95)
    {
        if (trials <= 0) return (0, 1);
        if (successes < 0 || successes > trials) throw new ArgumentOutOfRangeException(nameof(successes), "Successes must lie between 0 and the number of trials.");
        double n = trials, p = successes / n, z2 = z * z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        // Clamp the rounding at the ends: 0 of n has a lower bound of exactly 0, n of n an upper bound of exactly 1.
        return (successes == 0 ? 0 : Math.Max(0, centre - half), successes == trials ? 1 : Math.Min(1, centre + half));
    }

    /// <summary>
    /// Reviews needed for an interval of half-width <paramref name="margin"/> around <paramref name="expected"/>
    /// (0.5 when nothing is known yet), with the finite-population correction for a stratum of <paramref name="population"/> pairs.
    /// </summary>
    public static int SampleSize(double margin, double? expected, long population, double z = Z95)
    {
        if (margin is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(margin), "The margin must lie between 0 and 1.");
        var p = Math.Clamp(expected ?? 0.5, 0.05, 0.95);
        var infinite = z * z * p * (1 - p) / (margin * margin);
        var corrected = population > 0 ? infinite / (1 + (infinite - 1) / population) : infinite;
        return (int)Math.Ceiling(Math.Min(corrected, population > 0 ? population : corrected));
    }
}
