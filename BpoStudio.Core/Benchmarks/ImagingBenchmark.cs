using System.Diagnostics;
using System.Globalization;
using BpoStudio.Core.Imaging;
using SkiaSharp;

namespace BpoStudio.Core.Benchmarks;

public sealed record TransformThroughput(string Transform, double ImagesPerSecond, double TransformOnlyPerSecond);

public sealed record ImagingBenchmarkResult(
    int Width, int Height, int Iterations, IReadOnlyList<TransformThroughput> Transforms,
    double? ImageMagickPerSecond, string? ImageMagickCommand, double? DiffusionRatioToImageMagick, string? Note);

/// <summary>
/// <c>bench imaging</c>: images/s of every weakening at 1024x768, end to end (decode, transform, encode PNG) and on
/// decoded pixels alone; the same diffusion-noise operation through ImageMagick's CLI in the same run as the baseline.
/// </summary>
public sealed class ImagingBenchmark(ImageWeakener weakener)
{
    public const int Width = 1024, Height = 768;

    public async Task<ImagingBenchmarkResult> RunAsync(int iterations, CancellationToken ct = default)
    {
        var image = RenderTestImage();
        var throughputs = new List<TransformThroughput>();
        foreach (var transform in ImageWeakener.Transforms)
        {
            ct.ThrowIfCancellationRequested();
            weakener.Weaken(image, new WeakeningSpec(transform.Name), 0); // warm-up
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) weakener.Weaken(image, new WeakeningSpec(transform.Name), i);
            var endToEnd = iterations / watch.Elapsed.TotalSeconds;

            using var decoded = Pixels.Decode(image);
            watch.Restart();
            for (var i = 0; i < iterations; i++)
                using (transform.Apply(decoded, transform.Defaults, new SeededRandom(i))) { }
            throughputs.Add(new TransformThroughput(transform.Name, endToEnd, iterations / watch.Elapsed.TotalSeconds));
        }

        var (magickPerSecond, command, note) = await MeasureImageMagickAsync(image, iterations, ct);
        var diffusion = throughputs.Single(t => t.Transform == "diffusion-noise").ImagesPerSecond;
        return new ImagingBenchmarkResult(Width, Height, iterations, throughputs, magickPerSecond, command,
            magickPerSecond is { } m ? diffusion / m : null, note);
    }

    // x_t = a x_0 + b eps as ImageMagick does it: scale by a, then add Gaussian noise attenuated towards b.
    private static async Task<(double?, string?, string?)> MeasureImageMagickAsync(byte[] image, int iterations, CancellationToken ct)
    {
        var executable = new[] { "/usr/bin/magick", "/usr/bin/convert" }.FirstOrDefault(File.Exists);
        if (executable is null) return (null, null, "ImageMagick is not installed (apt-get install imagemagick): no baseline this run");

        var folder = Directory.CreateTempSubdirectory("bpostudio-bench-imaging-");
        try
        {
            var input = Path.Combine(folder.FullName, "in.png");
            await File.WriteAllBytesAsync(input, image, ct);
            var a = DiffusionSchedule.SignalWeight(500).ToString("0.####", CultureInfo.InvariantCulture);
            var b = DiffusionSchedule.NoiseWeight(500).ToString("0.####", CultureInfo.InvariantCulture);
            string[] arguments = [input, "-evaluate", "Multiply", a, "-attenuate", b, "+noise", "Gaussian", Path.Combine(folder.FullName, "out.png")];
            await RunAsync(executable, arguments, ct); // warm-up (page cache, shared libraries)
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) await RunAsync(executable, arguments, ct);
            return (iterations / watch.Elapsed.TotalSeconds, $"{Path.GetFileName(executable)} {string.Join(' ', arguments.Select(x => x.Replace(folder.FullName + "/", "")))}", null);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(string executable, string[] arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{executable} failed ({process.ExitCode}): {error.Trim()}");
    }

    /// <summary>A photo-like test image: gradients and many soft shapes, so PNG coding does real work.</summary>
    public static byte[] RenderTestImage()
    {
        var random = new SeededRandom(2024);
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height));
        var canvas = surface.Canvas;
        using var background = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(Width, Height),
                [new SKColor(40, 90, 160), new SKColor(230, 200, 120), new SKColor(60, 140, 70)], SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(0, 0, Width, Height, background);
        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < 300; i++)
        {
            paint.Color = new SKColor((byte)random.NextInt(256), (byte)random.NextInt(256), (byte)random.NextInt(256), (byte)(80 + random.NextInt(150)));
            canvas.DrawCircle(random.NextInt(Width), random.NextInt(Height), 5 + random.NextInt(60), paint);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
