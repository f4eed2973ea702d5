using System.Text.Json;
using System.Text.Json.Serialization;

namespace BpoStudio.Core.Injection;

/// <summary>The word lists the model-free injector swaps from, shipped inside the app as <c>lexicon.json</c>.</summary>
public sealed class InjectionLexicon
{
    [JsonPropertyName("colours")] public List<string> Colours { get; init; } = [];
    [JsonPropertyName("objectGroups")] public List<List<string>> ObjectGroups { get; init; } = [];
    [JsonPropertyName("irregularPlurals")] public Dictionary<string, string> IrregularPlurals { get; init; } = [];
    [JsonPropertyName("relations")] public List<List<string>> Relations { get; init; } = [];
    [JsonPropertyName("attributes")] public List<List<string>> Attributes { get; init; } = [];
    [JsonPropertyName("numberWords")] public List<string> NumberWords { get; init; } = [];

    private static readonly Lazy<InjectionLexicon> Shipped = new(LoadShipped);

    public static InjectionLexicon Default => Shipped.Value;

    public string Plural(string noun)
    {
        if (IrregularPlurals.TryGetValue(noun, out var irregular)) return irregular;
        if (noun.EndsWith('y') && noun.Length > 1 && !"aeiou".Contains(noun[^2])) return noun[..^1] + "ies";
        if (noun.EndsWith('s') || noun.EndsWith('x') || noun.EndsWith("ch") || noun.EndsWith("sh")) return noun + "es";
        return noun + "s";
    }

    private static InjectionLexicon LoadShipped()
    {
        using var stream = typeof(InjectionLexicon).Assembly.GetManifestResourceStream("BpoStudio.Core.Injection.lexicon.json")
            ?? throw new InvalidOperationException("The shipped injection lexicon is missing from the assembly.");
        return JsonSerializer.Deserialize<InjectionLexicon>(stream) ?? throw new InvalidDataException("The injection lexicon is empty.");
    }
}
