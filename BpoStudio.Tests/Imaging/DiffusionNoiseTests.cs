using BpoStudio.Core.Imaging;
using SkiaSharp;

namespace BpoStudio.Tests.Imaging;

public class DiffusionNoiseTests
{
    [Fact]
    public void AlphaBarMatchesTheFormula_AtEveryStep()
    {
        // Independent restatement of the BPO/VCD schedule.
        double product = 1;
        for (var t = 0; t < 1000; t++)
        {
            var z = -6.0 + 12.0 * t / 999;
            var beta = 1 / (1 + Math.Exp(-z)) * (0.5e-2 - 1e-5) + 1e-5;
            product *= 1 - beta;
            Assert.Equal(product, DiffusionSchedule.AlphaBar(t), 12);
        }
    }

    [Theory]
    [InlineData(500, 0.86, 0.51)]
    [InlineData(900, 0.37, 0.93)]
    public void SignalAndNoiseWeights_MatchThePublishedValues(int step, double signal, double noise)
    {
        // The method notes give these to two digits ("~0.86"), so allow one unit in the last digit.
        Assert.InRange(DiffusionSchedule.SignalWeight(step), signal - 0.01, signal + 0.01);
        Assert.InRange(DiffusionSchedule.NoiseWeight(step), noise - 0.01, noise + 0.01);
        Assert.Equal(1.0, Math.Pow(DiffusionSchedule.SignalWeight(step), 2) + Math.Pow(DiffusionSchedule.NoiseWeight(step), 2), 12);
    }

    [Fact]
    public void StandardNormalSamples_HaveZeroMeanUnitVariance()
    {
        var samples = new float[1_000_001];
        new SeededRandom(3).FillStandardNormal(samples);
        var mean = samples.Average(x => (double)x);
        var variance = samples.Average(x => (x - mean) * (x - mean));
        var skew = samples.Average(x => Math.Pow(x - mean, 3)) / Math.Pow(variance, 1.5);
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange(variance, 0.99, 1.01);
        Assert.InRange(skew, -0.02, 0.02);
        Assert.InRange(samples.Count(x => Math.Abs(x) < 1) / (double)samples.Length, 0.678, 0.688);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NoisedGreyImage_HasTheScheduledMeanAndSpread(bool normalized)
    {
        // A small step keeps values far from the clamp, so the statistics are exactly the schedule's.
        const int step = 150;
        using var grey = new SKBitmap(new SKImageInfo(512, 512, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        grey.Erase(new SKColor(128, 128, 128));
        var parameters = new Dictionary<string, double> { ["step"] = step, ["normalized"] = normalized ? 1 : 0, ["mean"] = 0.5, ["std"] = 0.5 };

        using var noised = new DiffusionNoise().Apply(grey, parameters, new SeededRandom(11));

        var values = new List<double>();
        var span = noised.GetPixelSpan();
        for (var i = 0; i < span.Length; i += 4) { values.Add(span[i] / 255.0); values.Add(span[i + 1] / 255.0); values.Add(span[i + 2] / 255.0); }
        var mean = values.Average();
        var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        var x0 = 128 / 255.0;
        var (a, b) = (DiffusionSchedule.SignalWeight(step), DiffusionSchedule.NoiseWeight(step));
        var expectedMean = normalized ? (a * (x0 - 0.5) / 0.5) * 0.5 + 0.5 : a * x0;
        var expectedStd = normalized ? b * 0.5 : b;
        Assert.InRange(mean, expectedMean - 0.004, expectedMean + 0.004);
        Assert.InRange(std, expectedStd * 0.97, expectedStd * 1.03);
        Assert.Equal(255, span[3]);
    }
}
