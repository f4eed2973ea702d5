using System.Text.Json;
using System.Text.Json.Serialization;

namespace BpoStudio.Core.Bootstrapping;

public enum SampleFilter
{
    All,
    WithoutNegatives,
    Selection,
}

public sealed record GenerationMethod(string Method, int Count = 1, int MaxEdits = 2);

/// <summary>What a generation job does: which samples, which methods with how many negatives each, and the seed.</summary>
/// <param name="WeakenImage">On samples with several images, which one the weakening methods weaken (1-based); null: all of them.</param>
public sealed record GenerationParameters(int DatasetId, SampleFilter Filter, IReadOnlyList<GenerationMethod> Methods, long Seed = 0, IReadOnlyList<long>? SampleIds = null,
    int? WeakenImage = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    private const int RecordImagesLimit = Import.RecordImages.MaxImages;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The parameters a job was started with, for showing; null when they do not read back.</summary>
    public static GenerationParameters? TryRead(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<GenerationParameters>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static GenerationParameters Parse(string json, IReadOnlyList<string> availableMethods)
    {
        GenerationParameters? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<GenerationParameters>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Generation parameters are not valid JSON: {ex.Message}", ex);
        }
        return (parsed ?? throw new InvalidInputError("Generation parameters are empty.")).Validated(availableMethods);
    }

    public GenerationParameters Validated(IReadOnlyList<string> availableMethods)
    {
        if (Methods is not { Count: > 0 }) throw new InvalidInputError("Choose at least one generation method.");
        if (Filter == SampleFilter.Selection && SampleIds is not { Count: > 0 }) throw new InvalidInputError("A selection needs at least one sample id.");
        if (WeakenImage is < 1 or > RecordImagesLimit) throw new InvalidInputError($"The image to weaken is counted from 1 (up to {RecordImagesLimit}), not {WeakenImage}.");
        foreach (var method in Methods)
        {
            if (!availableMethods.Contains(method.Method))
                throw new InvalidInputError($"Method '{method.Method}' is not available: it needs a model backend that is not configured. Available: {string.Join(", ", availableMethods)}.");
            if (method.Count is < 1 or > 20) throw new InvalidInputError($"'{method.Method}': negatives per sample must be 1-20, not {method.Count}.");
            if (method.MaxEdits is < 1 or > 10) throw new InvalidInputError($"'{method.Method}': edits per negative must be 1-10, not {method.MaxEdits}.");
        }
        return this;
    }
}
