using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage.Checks;
using Microsoft.Extensions.Options;

namespace BpoStudio.Tests.Triage;

/// <summary>Each check on hand-made pairs: cases that must fire and cases that must not, unicode and CJK included.</summary>
public class PairCheckTests
{
    private static readonly IOptions<PairCheckOptions> Defaults = Options.Create(new PairCheckOptions());

    private static PairCheckInput Pair(string chosen, string rejected, string? method = "model-free-injection", ResponseKind kind = ResponseKind.LlmHal,
        string? extra = null, string? imageHash = "ab", string? imageProblem = null, string? imagePath = "a.jpg", string prompt = "What is in the image?") =>
        new(1, prompt, chosen, rejected, kind, method, extra, imageHash, imageProblem, imagePath);

    [Theory]
    [InlineData("A red car is parked.", "A red car is parked.")]
    [InlineData("A red car is parked.", "a red car, is parked")]
    [InlineData("一只猫在桌子上。", "一只猫在桌子上")]
    [InlineData("Ｔｗｏ dogs", "two dogs")] // full-width letters fold under NFKC
    public void Identical_Fires_WhenOnlyCaseSpacesOrPunctuationDiffer(string chosen, string rejected) =>
        Assert.NotNull(new IdenticalCheck().Check(Pair(chosen, rejected)));

    [Theory]
    [InlineData("A red car is parked.", "A blue car is parked.")]
    [InlineData("一只猫在桌子上。", "一只狗在桌子上。")]
    [InlineData("2 apples", "3 apples")]
    public void Identical_DoesNotFire_WhenAWordDiffers(string chosen, string rejected) =>
        Assert.Null(new IdenticalCheck().Check(Pair(chosen, rejected)));

    [Fact]
    public void NearIdentical_Fires_OverTheThreshold_AndNotBelowIt()
    {
        var words = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"word{i}"));
        var oneChanged = words.Replace("word7", "other");
        Assert.NotNull(new NearIdenticalCheck(Defaults).Check(Pair(words, oneChanged))); // 39 of 40 shared: 0.975
        Assert.Null(new NearIdenticalCheck(Defaults).Check(Pair("A red car is parked on the street.", "A blue car is parked on the street.")));
        Assert.Null(new NearIdenticalCheck(Defaults).Check(Pair(words, words + "."))); // identical's case, not this one's
        var strict = Options.Create(new PairCheckOptions { NearIdenticalThreshold = 0.7 });
        Assert.NotNull(new NearIdenticalCheck(strict).Check(Pair("A red car is parked on the street.", "A blue car is parked on the street.")));
    }

    [Fact]
    public void NearIdentical_CountsCjkCharactersAsWords()
    {
        var chosen = new string('猫', 1) + "在一张很大的木头桌子上面睡觉今天下午阳光很好房间里很安静";
        var rejected = "狗" + chosen[1..];
        Assert.InRange(NearIdenticalCheck.Similarity(new TextProfile(chosen).Words, new TextProfile(rejected).Words), 0.95, 0.99);
        Assert.NotNull(new NearIdenticalCheck(Defaults).Check(Pair(chosen, rejected)));
    }

    [Theory]
    [InlineData("A man rides a horse along the beach at sunset.", "", "empty")]
    [InlineData("A man rides a horse along the beach at sunset.", "A man.", "x the chosen")]
    [InlineData("Yes.", "No, there are definitely no dogs anywhere in this picture at all.", "x the chosen")]
    public void LengthRatio_Fires_WhenEmptyOrOutOfRange(string chosen, string rejected, string detail) =>
        Assert.Contains(detail, new LengthRatioCheck(Defaults).Check(Pair(chosen, rejected)));

    [Theory]
    [InlineData("A man rides a horse.", "A woman rides a horse.")]
    [InlineData("Yes", "No")]
    [InlineData("一只猫。", "两只狗。")]
    public void LengthRatio_DoesNotFire_ForComparableLengths(string chosen, string rejected) =>
        Assert.Null(new LengthRatioCheck(Defaults).Check(Pair(chosen, rejected)));

    [Theory]
    [InlineData("<image>\nA cat.", "A dog.", "<image>")]
    [InlineData("A cat.", "A dog.<|im_end|>", "<|im_end|>")]
    [InlineData("A cat.", "A dog.</s>", "</s>")]
    [InlineData("A cat.", "[INST] describe [/INST] A dog.", "[INST]")]
    [InlineData("A cat.", "There is a < video > of a dog.", "< video >")]
    [InlineData("A cat.", "A dog<|endoftext|>", "<|endoftext|>")]
    public void Placeholder_Fires_OnMediaTagsAndChatTokens(string chosen, string rejected, string token) =>
        Assert.Contains(token, new PlaceholderCheck().Check(Pair(chosen, rejected)));

    [Theory]
    [InlineData("The sign reads <STOP>.", "The sign reads <GO>.")]
    [InlineData("x < y and y > z", "x > y")]
    [InlineData("The image shows a cat.", "The imagery shows [a dog].")]
    public void Placeholder_DoesNotFire_OnOrdinaryAngleBrackets(string chosen, string rejected) =>
        Assert.Null(new PlaceholderCheck().Check(Pair(chosen, rejected)));

    [Theory]
    [InlineData("I'm sorry, but I cannot see the image.")]
    [InlineData("As an AI language model, I can't determine that.")]
    [InlineData("Here is the rewritten answer: a dog sits.")]
    [InlineData("I’m sorry, there is no image.")] // curly apostrophe
    [InlineData("抱歉，我无法看到图片。")]
    [InlineData("Lo siento, no puedo ver la imagen.")]
    [InlineData("Es tut mir leid, ich kann das Bild nicht sehen.")]
    public void Refusal_Fires_OnRefusalsAndRemarksAboutTheTask(string rejected) =>
        Assert.NotNull(new RefusalCheck().Check(Pair("A dog sits on the grass.", rejected)));

    [Theory]
    [InlineData("A sorry-looking dog sits on the grass.")]
    [InlineData("The man is an AI researcher giving a talk.")]
    [InlineData("一只狗坐在草地上。")]
    public void Refusal_DoesNotFire_OnOrdinaryAnswers(string rejected) =>
        Assert.Null(new RefusalCheck().Check(Pair("A dog sits on the grass.", rejected)));

    [Theory]
    [InlineData("the cat the cat the cat the cat the cat the cat the cat")]
    [InlineData("There is a dog. There is a dog. There is a dog. There is a dog. There is a dog.")]
    [InlineData("猫猫猫猫猫猫猫猫猫猫猫猫")]
    [InlineData("A car is red and a car is red and a car is red and a car is red, yes.")]
    public void Repetition_Fires_OnDegenerateLoops(string rejected) =>
        Assert.NotNull(new RepetitionCheck(Defaults).Check(Pair("A dog sits on the grass near a tree.", rejected)));

    [Theory]
    [InlineData("A dog sits on the grass near a tree, and the tree stands next to a small red house.")]
    [InlineData("no no")]
    [InlineData("一只狗坐在一棵树旁边的草地上，树的旁边有一座红色的小房子。")]
    public void Repetition_DoesNotFire_OnOrdinaryText(string rejected) =>
        Assert.Null(new RepetitionCheck(Defaults).Check(Pair("A dog sits on the grass near a tree.", rejected)));

    [Theory]
    [InlineData("A dog sits on the grass.", "Собака сидит на траве.", "Cyrillic")]
    [InlineData("A dog sits on the grass.", "一只狗坐在草地上。", "Han")]
    [InlineData("一只狗坐在草地上。", "犬が草の上に座っています。", "Japanese")]
    [InlineData("There is a dog in the image and it is on the grass.", "Hay un perro en la imagen y está en la hierba con una pelota.", "Spanish")]
    public void LanguageMismatch_Fires_AcrossScriptsAndLanguages(string chosen, string rejected, string named) =>
        Assert.Contains(named, new LanguageMismatchCheck().Check(Pair(chosen, rejected)));

    [Theory]
    [InlineData("A dog sits on the grass.", "A cat sits on the grass.")]
    [InlineData("一只狗坐在草地上。", "一只猫坐在草地上。")]
    [InlineData("42", "Yes")]
    [InlineData("There is a dog in the image.", "There is a cat on the sofa with the dog.")]
    [InlineData("A yellow star is on the right side.", "I'm sorry, but I cannot see the image.")] // too few common words to name a language: not a mismatch
    public void LanguageMismatch_DoesNotFire_InTheSameLanguage(string chosen, string rejected) =>
        Assert.Null(new LanguageMismatchCheck().Check(Pair(chosen, rejected)));

    [Fact]
    public void Truncated_Fires_AtTheTokenLimitOrMidSentence_AndNotOnCompleteAnswers()
    {
        var check = new TruncatedCheck();
        Assert.Contains("token limit", check.Check(Pair("A dog.", "A dog sits.", method: "weakened-image:blur", kind: ResponseKind.MllmHal, extra: """{"jobId":1,"tokens":64,"stopReason":"max-tokens"}""")));
        Assert.Contains("mid-sentence", check.Check(Pair("A dog sits on the grass.", "A dog sits on the grass next to the")));
        Assert.Null(check.Check(Pair("A dog sits on the grass.", "A cat sits on the grass.")));
        Assert.Null(check.Check(Pair("a dog on grass", "a cat on the grass by a tree"))); // the chosen answer does not end sentences either
        Assert.Null(check.Check(Pair("A dog.", "A dog sits.", extra: """{"stopReason":"eos"}""")));
        Assert.Null(check.Check(Pair("狗坐在草地上。", "猫坐在草地上。")));
    }

    [Fact]
    public void MissingImage_Fires_OnAFlaggedOrAbsentImage_NotOnTextOnlyOrStoredOnes()
    {
        var check = new MissingImageCheck();
        Assert.Contains("does not exist", check.Check(Pair("a", "b", imageHash: null, imageProblem: "image 'x.jpg' does not exist under the image root")));
        Assert.Contains("not in the store", check.Check(Pair("a", "b", imageHash: null, imagePath: "x.jpg")));
        Assert.Null(check.Check(Pair("a", "b")));
        Assert.Null(check.Check(Pair("a", "b", imageHash: null, imagePath: null)));
    }

    [Fact]
    public void NoChange_Fires_ForInjectionsThatChangedNothingButPunctuationOrCase()
    {
        var check = new NoChangeCheck();
        Assert.Contains("changed nothing", check.Check(Pair("A red car.", "A red car.")));
        Assert.Contains("punctuation", check.Check(Pair("A red car.", "a red car!", method: "llm-injection")));
        Assert.Null(check.Check(Pair("A red car.", "A blue car.")));
        Assert.Null(check.Check(Pair("A red car.", "a red car!", method: "import:bpo"))); // identical covers imports
    }

    [Fact]
    public void Duplicate_Fires_WhenTheCheckerFoundAnEarlierPair()
    {
        var pair = Pair("a", "b");
        Assert.Null(new DuplicateCheck().Check(pair));
        pair.DuplicateOf = 7;
        Assert.Equal("same as pair 7", new DuplicateCheck().Check(pair));
    }

    [Fact]
    public void TheAsciiPathOfTheProfile_NormalizesAsTheGeneralPathDoes()
    {
        var every = new string([.. Enumerable.Range(0, 128).Select(i => (char)i)]);
        Assert.Equal(TextProfile.NormalizeUnicode(every), TextProfile.NormalizeAscii(every));
        var random = new Random(38);
        for (var i = 0; i < 2_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 1_500)).Select(_ => (char)random.Next(0, 128))]); // past the stack buffer too
            Assert.Equal(TextProfile.NormalizeUnicode(text), TextProfile.NormalizeAscii(text));
        }
        const string normalized = "a red car is parked";
        Assert.Same(normalized, TextProfile.Normalize(normalized)); // nothing to change: no copy
        Assert.Equal("a red car is parked", TextProfile.Normalize("  A red car, is PARKED! "));
    }

    [Fact]
    public void TheContentFingerprint_IsTheSha256OfTheJoinedTexts_AsStoredBefore()
    {
        foreach (var (chosen, rejected, image) in new[] { ("A red car.", "A blue car.", (string?)"ab"), ("一只猫。", "Собака \ud800 é", null), ("", "", "") })
        {
            var pair = Pair(chosen, rejected, imageHash: image);
            var joined = string.Join('\u0000', image ?? "", pair.Prompt, chosen, rejected);
            var expected = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(joined)));
            Assert.Equal(expected, Core.Triage.PairChecker.Fingerprint(pair));
        }
    }

    [Fact]
    public void Refusal_NamesTheFirstPhraseOfItsList_WhenAnAnswerHoldsSeveral() =>
        Assert.Equal("rejected says \"i'm sorry\"", new RefusalCheck().Check(Pair("A dog.", "As an AI model, I\u2019m sorry.")));
}
