using System.Diagnostics;

namespace BpoStudio.Core.Benchmarks;

public sealed record LatencySummary(double P50Ms, double P95Ms, double P99Ms, double MeanMs, int Samples)
{
    public static LatencySummary From(IReadOnlyCollection<double> millis)
    {
        var sorted = millis.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencySummary(At(0.50), At(0.95), At(0.99), sorted.Average(), sorted.Length);
    }
}

public static class Measure
{
    public static async Task<double> MillisecondsAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }
}
