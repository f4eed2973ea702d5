using System.Text.Json;

namespace BpoStudio.Core.Benchmarks;

/// <summary>One ratio a benchmark measured against its own same-run baseline, and which way is better.</summary>
public sealed record BenchRatio(string Name, double Value, bool HigherIsBetter, string Meaning);

public sealed record RatioCheck(string Name, double Measured, double? Expected, bool Regressed, string Meaning);

/// <summary>
/// <c>bench all</c>'s verdict: each ratio against the one committed beside the benchmarks, a regression being more than
/// <see cref="Tolerance"/> worse. Ratios, not seconds, so a slower or busier machine does not fail it, while the import
/// becoming three times slower than parsing (as it once did unnoticed) does.
/// </summary>
public static class RegressionGuard
{
    public const double Tolerance = 0.25;

    public static IReadOnlyList<RatioCheck> Compare(IReadOnlyList<BenchRatio> measured, IReadOnlyDictionary<string, double> expected) =>
        [.. measured.Select(m =>
        {
            if (!expected.TryGetValue(m.Name, out var want)) return new RatioCheck(m.Name, m.Value, null, false, m.Meaning);
            var regressed = m.HigherIsBetter ? m.Value < want * (1 - Tolerance) : m.Value > want * (1 + Tolerance);
            return new RatioCheck(m.Name, m.Value, want, regressed, m.Meaning);
        })];

    public static async Task<IReadOnlyDictionary<string, double>> ReadAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no file of expected ratios at {path}; run from the repository's root, or pass --expected, or write one with --write-expected.");
        return JsonSerializer.Deserialize<Dictionary<string, double>>(await File.ReadAllTextAsync(path, ct))
            ?? throw new InvalidDataException($"{path} holds no ratios.");
    }

    public static Task WriteAsync(string path, IReadOnlyList<BenchRatio> measured, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var ratios = measured.ToDictionary(m => m.Name, m => Math.Round(m.Value, 4));
        return File.WriteAllTextAsync(path, JsonSerializer.Serialize(ratios, new JsonSerializerOptions { WriteIndented = true }) + "\n", ct);
    }
}
