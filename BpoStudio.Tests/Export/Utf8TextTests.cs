using BpoStudio.Core.Data;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;

namespace BpoStudio.Tests.Export;

/// <summary>
/// Exports carry texts as UTF-8 from the database to the file; what they write and check must be what decoding to
/// strings and serializing those gave.
/// </summary>
public sealed class Utf8TextTests
{
    public static TheoryData<string> Texts => new()
    {
        "A red bicycle next to two parked cars.",
        "",
        "She said \"stop\" and walked to C:\\Users\\ann.",
        "line one\nline two\ttabbed\r\u0001\u001f\u007f",
        "naïve café, 中文, Ελληνικά, עברית",
        "emoji 🐕🚲 and a flag 🇳🇱",
        "separators \u2028 and \u2029, a BOM \ufeff, a zero width \u200b",
        "</script><b>&amp;</b> 'quoted' `tick` +plus+",
        "a lone surrogate \ud800 in the middle",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void TrlLines_AreTheBytesTheJsonSerializerWrites(string text)
    {
        foreach (var image in new[] { null, new ExportedImage("images/ä \"b\".jpg", "image/jpeg", null, 10) })
        {
            var prompt = "What is this? " + text;
            using var part = new BpoStudio.Core.Export.Formats.TrlLines();
            part.Add(Sample(prompt), [Pair(text + " chosen", "rejected " + text)], image);

            var expected = JsonSerializer.Serialize(new
            {
                prompt = new[] { new { role = "user", content = image is null ? new object[] { TextPart(prompt) } : [new { type = "image" }, TextPart(prompt)] } },
                chosen = new[] { new { role = "assistant", content = new object[] { TextPart(text + " chosen") } } },
                rejected = new[] { new { role = "assistant", content = new object[] { TextPart("rejected " + text) } } },
                images = image is null ? Array.Empty<string>() : [image.RelativePath],
            }, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
            Assert.Equal(expected, Encoding.UTF8.GetString(part.Lines.Span));
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    [InlineData(" \t\r\n")]
    [InlineData("\u00a0\u2003\u3000\u0085")]
    [InlineData("\u00a0x")]
    [InlineData("\u200b")]
    public void IsBlank_AgreesWithIsNullOrWhiteSpace(string text) =>
        Assert.Equal(string.IsNullOrWhiteSpace(text), Utf8Text.From(text).IsBlank);

    [Fact]
    public void InvalidUtf8_IsReplacedAsDecodingToAStringWould()
    {
        byte[] invalid = [(byte)'o', (byte)'k', 0xC3, (byte)' ', 0xFF, 0xE2, 0x82];
        var text = new Utf8TextBuffer().Copy(invalid);
        Assert.Equal(Encoding.UTF8.GetString(invalid), text.ToString());
        Assert.True(System.Text.Unicode.Utf8.IsValid(text.Span));
    }

    [Fact]
    public void CopiedTexts_StayIntact_AcrossBlocks_AndLongTexts()
    {
        var buffer = new Utf8TextBuffer();
        var originals = Enumerable.Range(0, 3000).Select(i => new string((char)('a' + i % 26), i % 7 == 0 ? 20_000 + i : i % 300) + i).ToList();
        var copies = originals.Select((s, i) => i % 2 == 0 ? buffer.Copy(Encoding.UTF8.GetBytes(s)) : buffer.Copy(s)).ToList();
        Assert.Equal(originals, copies.Select(c => c.ToString()));
    }

    [Fact]
    public void Equality_IsOrdinal()
    {
        var buffer = new Utf8TextBuffer();
        buffer.Copy("first");
        var copied = buffer.Copy("café"); // inside a shared block, after another text
        Assert.Equal(Utf8Text.From("café"), copied);
        Assert.Equal(Utf8Text.From("café").GetHashCode(), copied.GetHashCode());
        Assert.NotEqual(Utf8Text.From("café"), Utf8Text.From("cafe\u0301")); // the same on screen, not the same text
        Assert.True(Utf8Text.From("x <image> y").Contains(LoaderRules.ImagePlaceholderUtf8));
        Assert.False(Utf8Text.From("x <imag> y").Contains(LoaderRules.ImagePlaceholderUtf8));
    }

    private static object TextPart(string text) => new { type = "text", text };

    private static ExportSample Sample(string prompt) =>
        new(1, null, true, null, Utf8Text.From(prompt), null, null, null, null, []);

    private static ExportPair Pair(string chosen, string rejected) =>
        new(1, new ExportText(1, Utf8Text.From(chosen), ResponseKind.Gt, null, null, false),
            new ExportText(2, Utf8Text.From(rejected), ResponseKind.LlmHal, null, "error-injection", false));
}
