using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace BpoStudio.Core.Generation;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (byte-level BPE) as a Microsoft.ML.Tokenizers tokenizer: vocabulary, merges in
/// either encoding (<c>"a b"</c> or <c>["a","b"]</c>), added and special tokens, and the pre-tokenizer's regex.
/// </summary>
public static class TokenizerJson
{
    // GPT-2's byte-level split, used when the file asks for ByteLevel with use_regex and gives no pattern of its own.
    private const string ByteLevelPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private const string ByteLevelIndividualDigits = @"\p{N}|'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static BpeTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new ModelLoadException($"There is no tokenizer file {path}.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ModelLoadException($"{path} is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"{path} is not valid JSON: {ex.Message}");
        }
        var model = root["model"] as JsonObject ?? throw new ModelLoadException($"{path} has no 'model'.");
        if (model["type"]?.GetValue<string>() is { } type && type != "BPE") throw new ModelLoadException($"{path} is a {type} tokenizer; only BPE is supported.");
        var vocab = (model["vocab"] as JsonObject ?? throw new ModelLoadException($"{path} has no model.vocab."))
            .Select(p => new KeyValuePair<string, int>(p.Key, p.Value!.GetValue<int>())).ToList();
        var merges = (model["merges"] as JsonArray ?? []).Select(m => m switch
        {
            JsonArray pair when pair.Count == 2 => $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}",
            JsonValue text => text.GetValue<string>(),
            _ => throw new ModelLoadException($"{path} has a merge that is neither \"a b\" nor [\"a\", \"b\"]: {m?.ToJsonString()}"),
        }).ToList();
        var added = (root["added_tokens"] as JsonArray ?? []).OfType<JsonObject>()
            .ToDictionary(t => t["content"]!.GetValue<string>(), t => t["id"]!.GetValue<int>());
        var pattern = PreTokenizerPattern(root["pre_tokenizer"]);
        return BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = added,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), added),
        });
    }

    private static string PreTokenizerPattern(JsonNode? preTokenizer)
    {
        var steps = preTokenizer?["type"]?.GetValue<string>() == "Sequence" ? (preTokenizer["pretokenizers"] as JsonArray ?? []).OfType<JsonObject>().ToList()
            : preTokenizer is JsonObject single ? [single] : [];
        if (steps.FirstOrDefault(s => s["type"]?.GetValue<string>() == "Split")?["pattern"]?["Regex"]?.GetValue<string>() is { } regex) return regex;
        var digits = steps.Any(s => s["type"]?.GetValue<string>() == "Digits" && s["individual_digits"]?.GetValue<bool>() == true);
        return digits ? ByteLevelIndividualDigits : ByteLevelPattern;
    }
}
