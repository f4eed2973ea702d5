using BpoStudio.Core.Generation;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Generation;

public class TokenizerJsonTests
{
    [Fact]
    public void ByteLevelBpe_AppliesMergesSpecialTokensAndDigits_InBothMergeEncodings()
    {
        using var folder = new TestDataFolder();
        SyntheticModels.WriteTinyTokenizer(folder.File("strings.json"), new SyntheticModelSize());
        SyntheticModels.WriteTinyTokenizer(folder.File("pairs.json"), new SyntheticModelSize(), mergesAsPairs: true);

        foreach (var file in new[] { "strings.json", "pairs.json" })
        {
            var tokenizer = TokenizerJson.Load(folder.File(file));
            // Merges apply by rank: "t h" and "th e" come before "Ġ th", so " the" ends as Ġ + the while " is" becomes Ġis;
            // digits split one by one; <image> is one token.
            var ids = tokenizer.EncodeToIds("the cat is 42<image> the");
            string[] expected = ["the", "Ġ", "c", "a", "t", "Ġis", "Ġ", "4", "2", "<image>", "Ġ", "the"];
            Assert.Equal(expected.Select(t => tokenizer.Vocabulary.TryGetValue(t, out var id) ? id : tokenizer.SpecialTokens![t]), ids);
            Assert.Equal("the cat is 42<image> the", tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void BadFiles_AreNamed()
    {
        using var folder = new TestDataFolder();
        Assert.Contains("no tokenizer file", Assert.Throws<ModelLoadException>(() => TokenizerJson.Load(folder.File("missing.json"))).Message);
        File.WriteAllText(folder.File("wordpiece.json"), """{"model":{"type":"WordPiece","vocab":{}}}""");
        Assert.Contains("only BPE", Assert.Throws<ModelLoadException>(() => TokenizerJson.Load(folder.File("wordpiece.json"))).Message);
        File.WriteAllText(folder.File("broken.json"), "{");
        Assert.Contains("not valid JSON", Assert.Throws<ModelLoadException>(() => TokenizerJson.Load(folder.File("broken.json"))).Message);
    }
}
