namespace BpoStudio.Core.Imaging;

/// <summary>
/// The forward-diffusion schedule VCD, POVID and BPO use: 1000 steps,
/// <c>betas = sigmoid(linspace(-6, 6, 1000)) * (0.5e-2 - 1e-5) + 1e-5</c>, <c>alpha_bar_t = prod_{s&lt;=t}(1 - beta_s)</c>.
/// </summary>
public static class DiffusionSchedule
{
    public const int Steps = 1000;
    private static readonly double[] AlphaBars = Build();

    public static double Beta(int t) => 1.0 / (1.0 + Math.Exp(-(-6.0 + 12.0 * t / (Steps - 1)))) * (0.5e-2 - 1e-5) + 1e-5;

    public static double AlphaBar(int t) =>
        t is >= 0 and < Steps ? AlphaBars[t] : throw new ArgumentOutOfRangeException(nameof(t), t, $"The diffusion step must be 0..{Steps - 1}.");

    /// <summary>Weight of the clean image, <c>sqrt(alpha_bar_t)</c> (about 0.86 at step 500).</summary>
    public static double SignalWeight(int t) => Math.Sqrt(AlphaBar(t));

    /// <summary>Weight of the noise, <c>sqrt(1 - alpha_bar_t)</c> (about 0.51 at step 500).</summary>
    public static double NoiseWeight(int t) => Math.Sqrt(1 - AlphaBar(t));

    private static double[] Build()
    {
        var result = new double[Steps];
        var product = 1.0;
        for (var t = 0; t < Steps; t++)
        {
            product *= 1 - Beta(t);
            result[t] = product;
        }
        return result;
    }
}
