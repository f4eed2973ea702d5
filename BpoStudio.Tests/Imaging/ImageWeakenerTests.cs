using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Imaging;
using SkiaSharp;

namespace BpoStudio.Tests.Imaging;

public class ImageWeakenerTests
{
    private static readonly byte[] Scene = DemoScene.Generate(5).RenderPng();
    private readonly ImageWeakener _weakener = new();

    public static TheoryData<string> AllTransforms() => [.. ImageWeakener.Transforms.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(AllTransforms))]
    public void SameImageParametersAndSeed_GiveIdenticalBytes(string transform)
    {
        var first = _weakener.Weaken(Scene, new WeakeningSpec(transform), seed: 42);
        var second = _weakener.Weaken(Scene, new WeakeningSpec(transform), seed: 42);

        Assert.Equal(first.Png, second.Png);
        Assert.NotEqual(Scene, first.Png);
        using var decoded = SKBitmap.Decode(first.Png);
        Assert.Equal((DemoScene.Width, DemoScene.Height), (decoded.Width, decoded.Height));
        Assert.Contains("\"seed\":42", first.ParametersJson);
    }

    [Theory]
    [InlineData("diffusion-noise")]
    [InlineData("random-resized-crop")]
    [InlineData("random-mask")]
    public void DifferentSeeds_GiveDifferentImages(string transform)
    {
        Assert.NotEqual(_weakener.Weaken(Scene, new WeakeningSpec(transform), 1).Png, _weakener.Weaken(Scene, new WeakeningSpec(transform), 2).Png);
    }

    [Fact]
    public void ParametersJson_RecordsDefaultsAndOverrides()
    {
        var result = _weakener.Weaken(Scene, new WeakeningSpec("diffusion-noise", new Dictionary<string, double> { ["step"] = 900, ["normalized"] = 1 }), 5);
        Assert.Equal(900, result.Parameters["step"]);
        Assert.Equal(1, result.Parameters["normalized"]);
        Assert.Equal(0.5, result.Parameters["mean"]);
    }

    [Fact]
    public void RandomMask_HidesTheRequestedShare()
    {
        using var white = new SKBitmap(new SKImageInfo(320, 320, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        white.Erase(SKColors.White);
        var parameters = new Dictionary<string, double> { ["fraction"] = 0.25, ["patch"] = 32 };
        using var masked = new RandomMask().Apply(white, parameters, new SeededRandom(9));
        var span = masked.GetPixelSpan();
        var grey = 0;
        for (var i = 0; i < span.Length; i += 4) if (span[i] == 128) grey++;
        Assert.Equal(25 * 32 * 32, grey); // 100 cells, 25 hidden
    }

    [Fact]
    public void BadSpec_NamesTheProblem()
    {
        Assert.Contains("'sharpen'", Assert.ThrowsAny<ArgumentException>(() => _weakener.Weaken(Scene, new WeakeningSpec("sharpen"), 1)).Message);
        Assert.Contains("'radius'", Assert.ThrowsAny<ArgumentException>(() => _weakener.Weaken(Scene, new WeakeningSpec("gaussian-blur", new Dictionary<string, double> { ["radius"] = 2 }), 1)).Message);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => _weakener.Weaken(Scene, new WeakeningSpec("diffusion-noise", new Dictionary<string, double> { ["step"] = 1000 }), 1)).ParamName);
        Assert.Throws<InvalidDataException>(() => _weakener.Weaken("not an image"u8.ToArray(), new WeakeningSpec("jpeg"), 1));
    }
}
