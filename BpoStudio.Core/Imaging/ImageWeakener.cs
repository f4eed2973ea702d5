using System.Text.Json;

namespace BpoStudio.Core.Imaging;

public sealed record WeakeningSpec(string Transform, IReadOnlyDictionary<string, double>? Parameters = null);

/// <summary>The weakened image (PNG) and the full parameters used, defaults included, for provenance.</summary>
public sealed record WeakenedImage(byte[] Png, string Transform, IReadOnlyDictionary<string, double> Parameters, long Seed)
{
    public string ParametersJson => JsonSerializer.Serialize(new { transform = Transform, parameters = Parameters, seed = Seed });
}

public sealed class ImageWeakener(Microsoft.Extensions.Options.IOptions<BpoStudioOptions>? options = null)
{
    public static readonly IReadOnlyList<WeakeningTransform> Transforms =
        [new DiffusionNoise(), new RandomResizedCrop(), new GaussianBlur(), new Pixelate(), new JpegReencode(), new RandomMask()];

    public static WeakeningTransform Find(string name) =>
        Transforms.FirstOrDefault(t => t.Name == name)
        ?? throw new InvalidInputError($"Unknown weakening '{name}'. Known: {string.Join(", ", Transforms.Select(t => t.Name))}.");

    public WeakenedImage Weaken(byte[] image, WeakeningSpec spec, long seed)
    {
        var transform = Find(spec.Transform);
        var parameters = new Dictionary<string, double>(transform.Defaults);
        foreach (var (key, value) in spec.Parameters ?? new Dictionary<string, double>())
        {
            if (!parameters.ContainsKey(key))
                throw new InvalidInputError($"'{transform.Name}' has no parameter '{key}'. Parameters: {string.Join(", ", transform.Defaults.Keys)}.");
            parameters[key] = value;
        }
        using var source = Pixels.Decode(image, options?.Value.Images);
        using var weakened = transform.Apply(source, parameters, new SeededRandom(seed));
        return new WeakenedImage(Pixels.EncodePng(weakened), transform.Name, parameters, seed);
    }
}
