using BpoStudio.Core.Imaging;

namespace BpoStudio.Core.Generation;

/// <param name="Temperature">0 is greedy.</param>
public sealed record SamplingSettings(float Temperature = 0f, int TopK = 0, float TopP = 1f, float RepetitionPenalty = 1f, long Seed = 0, int MaxNewTokens = 128);

/// <summary>Greedy, temperature, top-k, top-p and repetition penalty over one step's logits, reproducible for a seed.</summary>
public sealed class TokenSampler(SamplingSettings settings)
{
    private readonly SeededRandom _random = new(settings.Seed);

    public int Next(Span<float> logits, IReadOnlyCollection<int> seen)
    {
        if (settings.RepetitionPenalty != 1f)
            foreach (var token in seen)
                logits[token] = logits[token] > 0 ? logits[token] / settings.RepetitionPenalty : logits[token] * settings.RepetitionPenalty;
        if (settings.Temperature <= 0f) return ArgMax(logits);

        var candidates = new List<(int Token, float Logit)>(logits.Length);
        for (var i = 0; i < logits.Length; i++) candidates.Add((i, logits[i] / settings.Temperature));
        candidates.Sort((a, b) => b.Logit.CompareTo(a.Logit));
        if (settings.TopK > 0 && settings.TopK < candidates.Count) candidates.RemoveRange(settings.TopK, candidates.Count - settings.TopK);

        var max = candidates[0].Logit;
        var weights = candidates.Select(c => Math.Exp(c.Logit - max)).ToArray();
        var total = weights.Sum();
        var keep = weights.Length;
        if (settings.TopP < 1f)
        {
            double cumulative = 0;
            for (keep = 0; keep < weights.Length && cumulative < settings.TopP * total; keep++) cumulative += weights[keep];
            total = weights.Take(keep).Sum();
        }
        var pick = _random.NextDouble() * total;
        for (var i = 0; i < keep; i++)
        {
            pick -= weights[i];
            if (pick <= 0) return candidates[i].Token;
        }
        return candidates[keep - 1].Token;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
