namespace BpoStudio.Core.Dashboard;

/// <summary>Inter-annotator agreement on categorical decisions (accept, reject, flag).</summary>
public static class Agreement
{
    /// <summary>Mean over items of the share of agreeing rater pairs: sum_c n_c(n_c - 1) / (n(n - 1)).</summary>
    public static double PercentAgreement(IReadOnlyList<IReadOnlyList<int>> countsPerItem)
    {
        var items = countsPerItem.Where(c => c.Sum() >= 2).ToList();
        if (items.Count == 0) return double.NaN;
        return items.Average(counts =>
        {
            var n = counts.Sum();
            return counts.Sum(c => (double)c * (c - 1)) / ((double)n * (n - 1));
        });
    }

    /// <summary>Cohen's kappa for two raters over the same items: (p_o - p_e) / (1 - p_e); NaN when chance agreement is total.</summary>
    public static double CohensKappa<T>(IReadOnlyList<(T A, T B)> ratings) where T : notnull
    {
        if (ratings.Count == 0) return double.NaN;
        double n = ratings.Count;
        var observed = ratings.Count(r => EqualityComparer<T>.Default.Equals(r.A, r.B)) / n;
        var categories = ratings.Select(r => r.A).Concat(ratings.Select(r => r.B)).Distinct();
        var expected = categories.Sum(c => ratings.Count(r => EqualityComparer<T>.Default.Equals(r.A, c)) / n * (ratings.Count(r => EqualityComparer<T>.Default.Equals(r.B, c)) / n));
        return expected >= 1 ? double.NaN : (observed - expected) / (1 - expected);
    }

    /// <summary>
    /// Fleiss' kappa: <paramref name="countsPerItem"/>[i][j] raters put item i in category j; every item needs the same
    /// number of raters n >= 2. NaN when chance agreement is total.
    /// </summary>
    public static double FleissKappa(IReadOnlyList<IReadOnlyList<int>> countsPerItem)
    {
        if (countsPerItem.Count == 0) return double.NaN;
        var n = countsPerItem[0].Sum();
        if (n < 2 || countsPerItem.Any(c => c.Sum() != n)) throw new InvalidInputError("Fleiss' kappa needs the same number (>= 2) of raters on every item.");
        double items = countsPerItem.Count;
        var categories = countsPerItem[0].Count;
        var meanAgreement = countsPerItem.Average(counts => (counts.Sum(c => (double)c * c) - n) / ((double)n * (n - 1)));
        var chance = Enumerable.Range(0, categories).Sum(j =>
        {
            var share = countsPerItem.Sum(counts => counts[j]) / (items * n);
            return share * share;
        });
        return chance >= 1 ? double.NaN : (meanAgreement - chance) / (1 - chance);
    }
}
