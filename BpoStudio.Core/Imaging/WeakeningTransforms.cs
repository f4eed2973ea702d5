using System.Numerics.Tensors;
using SkiaSharp;

namespace BpoStudio.Core.Imaging;

public sealed record ParameterSpec(string Name, double Default, double Min, double Max, double Step);

/// <summary>One named image weakening; reproducible bit for bit from (image, parameters, seed).</summary>
public abstract class WeakeningTransform
{
    public abstract string Name { get; }

    /// <summary>Parameters with defaults and allowed ranges, in display order; the UI's sliders come from here.</summary>
    public abstract IReadOnlyList<ParameterSpec> Parameters { get; }

    public IReadOnlyDictionary<string, double> Defaults => Parameters.ToDictionary(p => p.Name, p => p.Default);

    public abstract SKBitmap Apply(SKBitmap rgba, IReadOnlyDictionary<string, double> parameters, SeededRandom random);

    protected double Get(IReadOnlyDictionary<string, double> parameters, string name)
    {
        var spec = Parameters.Single(p => p.Name == name);
        var value = parameters.TryGetValue(name, out var given) ? given : spec.Default;
        if (double.IsNaN(value) || value < spec.Min || value > spec.Max)
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be between {spec.Min} and {spec.Max}.");
        return value;
    }
}

/// <summary>Forward diffusion <c>x_t = sqrt(a_t) x_0 + sqrt(1 - a_t) eps</c> on [0,1] pixels (POVID) or normalised pixels (BPO).</summary>
public sealed class DiffusionNoise : WeakeningTransform
{
    public override string Name => "diffusion-noise";

    /// <summary><c>normalized</c> 0: noise on [0,1] pixels; 1: on <c>(x - mean) / std</c>, mapped back afterwards.</summary>
    public override IReadOnlyList<ParameterSpec> Parameters { get; } =
    [
        new("step", 500, 0, DiffusionSchedule.Steps - 1, 1), new("normalized", 0, 0, 1, 1),
        new("mean", 0.5, 0, 1, 0.01), new("std", 0.5, 0.01, 10, 0.01),
    ];

    public override SKBitmap Apply(SKBitmap rgba, IReadOnlyDictionary<string, double> parameters, SeededRandom random)
    {
        var step = (int)Get(parameters, "step");
        var normalized = Get(parameters, "normalized") >= 0.5;
        var mean = (float)Get(parameters, "mean");
        var std = (float)Get(parameters, "std");
        var signal = (float)DiffusionSchedule.SignalWeight(step);
        var noise = (float)DiffusionSchedule.NoiseWeight(step);

        var source = rgba.GetPixelSpan();
        var count = rgba.Width * rgba.Height * 3;
        var x = new float[count];
        // Work in the chosen space: [0,1], or normalised (x/255 - mean) / std.
        var (scale, offset) = normalized ? (1f / (255f * std), -mean / std) : (1f / 255f, 0f);
        for (int i = 0, j = 0; i < source.Length; i += 4, j += 3)
        {
            x[j] = source[i] * scale + offset;
            x[j + 1] = source[i + 1] * scale + offset;
            x[j + 2] = source[i + 2] * scale + offset;
        }

        var eps = new float[count];
        random.FillStandardNormal(eps);
        TensorPrimitives.Multiply(eps, noise, eps);
        TensorPrimitives.MultiplyAdd(x, signal, eps, x);

        // Back to bytes: undo the normalisation, clamp to the displayable range, round.
        var (back, shift) = normalized ? (255f * std, 255f * mean) : (255f, 0f);
        TensorPrimitives.Multiply(x, back, x);
        TensorPrimitives.Add(x, shift, x);
        TensorPrimitives.Max(x, 0f, x);
        TensorPrimitives.Min(x, 255f, x);

        var result = new SKBitmap(rgba.Info);
        var target = result.GetPixelSpan();
        for (int i = 0, j = 0; i < target.Length; i += 4, j += 3)
        {
            target[i] = (byte)(x[j] + 0.5f);
            target[i + 1] = (byte)(x[j + 1] + 0.5f);
            target[i + 2] = (byte)(x[j + 2] + 0.5f);
            target[i + 3] = source[i + 3];
        }
        return result;
    }
}

/// <summary>mDPO's weakening: keep a random crop of 1-20 % of the area, resized back to the original size.</summary>
public sealed class RandomResizedCrop : WeakeningTransform
{
    public override string Name => "random-resized-crop";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = [new("minArea", 0.01, 1e-4, 1, 0.01), new("maxArea", 0.20, 1e-4, 1, 0.01)];

    public override SKBitmap Apply(SKBitmap rgba, IReadOnlyDictionary<string, double> parameters, SeededRandom random)
    {
        var minArea = Get(parameters, "minArea");
        var maxArea = Get(parameters, "maxArea");
        if (maxArea < minArea) throw new ArgumentOutOfRangeException("maxArea", maxArea, $"'maxArea' must not be below 'minArea' ({minArea}).");
        var area = minArea + random.NextDouble() * (maxArea - minArea);
        // Aspect ratio drawn log-uniformly in [3/4, 4/3], as torchvision does.
        var aspect = Math.Exp(Math.Log(3.0 / 4) + random.NextDouble() * (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)));
        var total = (double)rgba.Width * rgba.Height * area;
        var width = Math.Clamp((int)Math.Round(Math.Sqrt(total * aspect)), 1, rgba.Width);
        var height = Math.Clamp((int)Math.Round(Math.Sqrt(total / aspect)), 1, rgba.Height);
        var left = random.NextInt(rgba.Width - width + 1);
        var top = random.NextInt(rgba.Height - height + 1);

        using var crop = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        rgba.ExtractSubset(crop, SKRectI.Create(left, top, width, height));
        using var copy = Pixels.ToRgba(crop);
        return Pixels.Resize(copy, rgba.Width, rgba.Height, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
    }
}

public sealed class GaussianBlur : WeakeningTransform
{
    public override string Name => "gaussian-blur";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = [new("sigma", 8, 0.1, 200, 0.1)];

    public override SKBitmap Apply(SKBitmap rgba, IReadOnlyDictionary<string, double> parameters, SeededRandom random)
    {
        var sigma = (float)Get(parameters, "sigma");
        var result = new SKBitmap(rgba.Info);
        using var canvas = new SKCanvas(result);
        using var paint = new SKPaint { ImageFilter = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp) };
        canvas.DrawBitmap(rgba, 0, 0, paint);
        return result;
    }
}

public sealed class Pixelate : WeakeningTransform
{
    public override string Name => "pixelate";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = [new("factor", 16, 1, 512, 1)];

    public override SKBitmap Apply(SKBitmap rgba, IReadOnlyDictionary<string, double> parameters, SeededRandom random)
    {
        var factor = Get(parameters, "factor");
        using var small = Pixels.Resize(rgba, Math.Max(1, (int)(rgba.Width / factor)), Math.Max(1, (int)(rgba.Height / factor)),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        return Pixels.Resize(small, rgba.Width, rgba.Height, new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
    }
}

public sealed class JpegReencode : WeakeningTransform
{
    public override string Name => "jpeg";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = [new("quality", 5, 1, 100, 1)];

    public override SKBitmap Apply(SKBitmap rgba, IReadOnlyDictionary<string, double> parameters, SeededRandom random)
    {
        var quality = (int)Get(parameters, "quality");
        using var image = SKImage.FromBitmap(rgba);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, quality);
        return Pixels.Decode(data.ToArray());
    }
}

/// <summary>Hides a random share of square patches behind mid grey.</summary>
public sealed class RandomMask : WeakeningTransform
{
    public override string Name => "random-mask";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = [new("fraction", 0.5, 0, 1, 0.01), new("patch", 32, 1, 4096, 1)];

    public override SKBitmap Apply(SKBitmap rgba, IReadOnlyDictionary<string, double> parameters, SeededRandom random)
    {
        var fraction = Get(parameters, "fraction");
        var patch = (int)Get(parameters, "patch");
        var columns = (rgba.Width + patch - 1) / patch;
        var rows = (rgba.Height + patch - 1) / patch;
        var cells = Enumerable.Range(0, columns * rows).ToArray();
        // Partial Fisher-Yates: the first k cells are a uniform random choice.
        var k = (int)Math.Round(fraction * cells.Length);
        for (var i = 0; i < k; i++)
        {
            var j = i + random.NextInt(cells.Length - i);
            (cells[i], cells[j]) = (cells[j], cells[i]);
        }
        var result = rgba.Copy();
        using var canvas = new SKCanvas(result);
        using var paint = new SKPaint { Color = new SKColor(128, 128, 128), IsAntialias = false };
        foreach (var cell in cells.AsSpan(0, k))
            canvas.DrawRect(cell % columns * patch, cell / columns * patch, patch, patch, paint);
        return result;
    }
}
