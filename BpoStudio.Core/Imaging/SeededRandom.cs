using System.Numerics.Tensors;

namespace BpoStudio.Core.Imaging;

/// <summary>
/// xoshiro256** seeded by SplitMix64: a fixed algorithm, so (image, parameters, seed) reproduce bit for bit on any
/// .NET version (System.Random's algorithm is an implementation detail).
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededRandom(long seed)
    {
        var x = unchecked((ulong)seed);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in (0, 1]: never 0, so log(u) is finite.</summary>
    public float NextSingleOpen() => ((NextUInt64() >> 40) + 1) * (1.0f / (1 << 24));

    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public int NextInt(int maxExclusive) => (int)(NextDouble() * maxExclusive);

    /// <summary>Standard normal samples by Box-Muller, the transcendental parts vectorised over the whole span.</summary>
    public void FillStandardNormal(Span<float> destination)
    {
        var half = (destination.Length + 1) / 2;
        var radius = new float[half];
        var angle = new float[half];
        for (var i = 0; i < half; i++)
        {
            radius[i] = NextSingleOpen();
            angle[i] = NextSingleOpen();
        }
        TensorPrimitives.Log(radius, radius);
        TensorPrimitives.Multiply(radius, -2f, radius);
        TensorPrimitives.Sqrt(radius, radius);
        TensorPrimitives.Multiply(angle, 2f * MathF.PI, angle);
        var cos = new float[half];
        TensorPrimitives.Cos(angle, cos);
        TensorPrimitives.Sin(angle, angle);
        TensorPrimitives.Multiply(cos, radius, cos);
        TensorPrimitives.Multiply(angle, radius, angle);
        cos.AsSpan(0, half).CopyTo(destination);
        angle.AsSpan(0, destination.Length - half).CopyTo(destination[half..]);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
