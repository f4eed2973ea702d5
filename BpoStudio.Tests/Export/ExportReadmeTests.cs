using BpoStudio.Core.Export;
using BpoStudio.Core.Export.Formats;

namespace BpoStudio.Tests.Export;

/// <summary>A README names the dataset and its approver as text, whatever they are called.</summary>
public class ExportReadmeTests
{
    private const string Hostile = "<img src=x onerror=alert(1)> [click](http://evil.example) *bold* \u202Eevil";

    [Fact]
    public void AHostileDatasetName_IsTextInTheReadme_NotHtmlLinksOrAnOverride()
    {
        var manifest = new ExportManifest
        {
            Format = "trl", FormatTitle = "TRL", Dataset = Hostile, Draft = false, AppVersion = "test", HowToLoad = "load it",
            Options = new ExportOptions(1, 1, ExportFormat.Trl),
            Version = new ManifestVersion(1, "abc", "lead <b>x</b>", DateTime.UtcNow),
        };

        var readme = ExportReadme.Render(manifest, new TrlFormat());

        var heading = readme.Split('\n').Single(l => l.StartsWith("# ", StringComparison.Ordinal));
        Assert.DoesNotContain("<img", readme);
        Assert.DoesNotContain("<b>", readme);
        Assert.False(readme.Contains('\u202E'), "the override character reached the README"); // a char test: culture comparison ignores it
        Assert.Contains("&lt;img src=x onerror=alert\\(1\\)&gt;", heading);
        Assert.Contains("\\[click\\]\\(http://evil.example\\)", heading);
        Assert.Contains("\\*bold\\*", heading);
        Assert.Contains("&lt;U+202E&gt;evil - TRL", heading); // the override is shown, and the title after it stays in order
    }

    [Theory]
    [InlineData("Demo shapes", "Demo shapes")]
    [InlineData("a_b #1 | c", "a\\_b \\#1 \\| c")]
    [InlineData("line\nbreak", "line break")]
    public void Escape_KeepsPlainNamesPlain_AndEscapesSyntax(string text, string expected) => Assert.Equal(expected, MarkdownText.Escape(text));
}
