using BpoStudio.Core.Dashboard;

namespace BpoStudio.Tests.Review;

public class AgreementTests
{
    [Fact]
    public void CohensKappa_MatchesTheTextbookExample()
    {
        // 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4.
        var ratings = Enumerable.Repeat(("yes", "yes"), 20).Concat(Enumerable.Repeat(("yes", "no"), 5))
            .Concat(Enumerable.Repeat(("no", "yes"), 10)).Concat(Enumerable.Repeat(("no", "no"), 15)).ToList();
        Assert.Equal(0.4, Agreement.CohensKappa(ratings), 10);
    }

    [Fact]
    public void CohensKappa_IsOneForPerfectAgreement_AndNaNWhenEveryoneSaysTheSame()
    {
        Assert.Equal(1.0, Agreement.CohensKappa([("a", "a"), ("b", "b"), ("a", "a")]), 10);
        Assert.True(double.IsNaN(Agreement.CohensKappa([("a", "a"), ("a", "a")])));
        // Systematic disagreement: p_o = 0, p_e = 0.5 -> -1.
        Assert.Equal(-1.0, Agreement.CohensKappa([("a", "b"), ("b", "a")]), 10);
    }

    [Fact]
    public void FleissKappa_MatchesTheWikipediaExample()
    {
        // Fleiss (1971) as worked on Wikipedia: 10 items, 14 raters, 5 categories; kappa = 0.210.
        int[][] table =
        [
            [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
        ];
        Assert.Equal(0.2099, Agreement.FleissKappa(table), 4);
        Assert.ThrowsAny<ArgumentException>(() => Agreement.FleissKappa([[1, 1], [3, 0]]));
    }

    [Fact]
    public void PercentAgreement_AveragesAgreeingRaterPairsPerItem()
    {
        // Item 1: 3 raters agree (1.0); item 2: 2 of 3 agree (2/6 = 1/3); item 3: 2 raters disagree (0).
        Assert.Equal((1.0 + 1.0 / 3 + 0) / 3, Agreement.PercentAgreement([[3, 0, 0], [2, 1, 0], [1, 1, 0]]), 10);
    }
}
