using System.Globalization;
using BpoStudio.Components;

namespace BpoStudio.Tests.Web;

public class CountedTests
{
    [Theory]
    [InlineData(0, "pair", null, "0 pairs")]
    [InlineData(1, "pair", null, "1 pair")]
    [InlineData(1204, "pair", null, "1,204 pairs")]
    [InlineData(2, "new image", null, "2 new images")]
    [InlineData(3, "match", "matches", "3 matches")]
    public void ACount_TakesItsNounInTheRightNumber(long count, string noun, string? plural, string expected)
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("en-US");
        try
        {
            Assert.Equal(expected, Counted.Of(count, noun, plural));
            Assert.Equal(count == 1 ? "matches" : "match", Counted.Agree(count, "matches", "match"));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
