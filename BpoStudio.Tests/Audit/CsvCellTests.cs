using BpoStudio.Core.Audit;

namespace BpoStudio.Tests.Audit;

/// <summary>A cell a spreadsheet would run as a formula (CSV injection) is written as text.</summary>
public class CsvCellTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("plain, with comma", "\"plain, with comma\"")]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Cell_NeutralisesFormulasAndQuotesSeparators(string? value, string expected) =>
        Assert.Equal(expected, AuditQueries.CsvCell(value));
}
