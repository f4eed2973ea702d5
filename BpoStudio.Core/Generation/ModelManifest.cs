using System.Text.Json;
using System.Text.Json.Nodes;

namespace BpoStudio.Core.Generation;

public sealed record SearchDefaults(int MaxNewTokens = 128, float Temperature = 0f, int TopK = 0, float TopP = 1f, float RepetitionPenalty = 1f);

/// <summary>
/// How to drive a model folder, in the spirit of ONNX Runtime GenAI's genai_config.json: graphs, tensor-name
/// templates, sizes, special tokens, preprocessing, chat template and search defaults. Written as
/// <c>bpostudio-model.json</c>, or inferred from a Hugging Face export's config files.
/// </summary>
public sealed record ModelManifest
{
    public const string FileName = "bpostudio-model.json";

    public required string Name { get; init; }
    public required string DecoderFile { get; init; }
    public string? EmbedFile { get; init; }
    public string? VisionFile { get; init; }
    public int Layers { get; init; }
    public int KvHeads { get; init; }
    public int HeadSize { get; init; }
    public int Hidden { get; init; }
    public int Vocab { get; init; }
    public int? ImageTokenId { get; init; }
    public int ImageTokens { get; init; } = 64;
    public int ImageSize { get; init; } = 512;
    public float[] ImageMean { get; init; } = [0.5f, 0.5f, 0.5f];
    public float[] ImageStd { get; init; } = [0.5f, 0.5f, 0.5f];
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public string EmbedsInput { get; init; } = "inputs_embeds";
    public string PastKey { get; init; } = "past_key_values.%d.key";
    public string PastValue { get; init; } = "past_key_values.%d.value";
    public string PresentKey { get; init; } = "present.%d.key";
    public string PresentValue { get; init; } = "present.%d.value";
    public string ChatTemplate { get; init; } = "<|im_start|>User:{image}{prompt}<end_of_utterance>\nAssistant:";
    public SearchDefaults Search { get; init; } = new();

    public bool IsVisionLanguage => VisionFile is not null && ImageTokenId is not null;

    public static string TensorName(string template, int layer) => template.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Reads <c>bpostudio-model.json</c>, or infers the manifest from config.json, generation_config.json and preprocessor_config.json.</summary>
    public static ModelManifest Load(string folder, string variant = "")
    {
        if (!Directory.Exists(folder)) throw new ModelLoadException($"The model folder {folder} does not exist.");
        var own = Path.Combine(folder, FileName);
        if (File.Exists(own))
            return JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(own), new JsonSerializerOptions(JsonSerializerDefaults.Web))
                ?? throw new ModelLoadException($"{own} is empty.");

        var config = ReadJson(folder, "config.json", required: true)!;
        var text = config["text_config"] as JsonObject ?? config;
        var generation = ReadJson(folder, "generation_config.json", required: false);
        var preprocessor = ReadJson(folder, "preprocessor_config.json", required: false);
        int Int(JsonNode? node, string what) => node?.GetValue<int>() ?? throw new ModelLoadException($"config.json in {folder} has no {what}.");
        var heads = text["num_attention_heads"]?.GetValue<int>();
        var hidden = Int(text["hidden_size"], "hidden_size");

        var decoder = FirstExisting(folder, $"onnx/decoder_model_merged{variant}.onnx", $"onnx/model{variant}.onnx")
            ?? throw new ModelLoadException($"{folder} has no onnx/decoder_model_merged{variant}.onnx (nor onnx/model{variant}.onnx).");
        var vision = FirstExisting(folder, $"onnx/vision_encoder{variant}.onnx");
        var eos = (generation?["eos_token_id"] ?? config["eos_token_id"]) switch
        {
            JsonArray ids => ids.Select(i => i!.GetValue<int>()).ToList(),
            JsonValue id => [id.GetValue<int>()],
            _ => new List<int>(),
        };
        return new ModelManifest
        {
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)),
            DecoderFile = decoder,
            EmbedFile = FirstExisting(folder, $"onnx/embed_tokens{variant}.onnx"),
            VisionFile = vision,
            Layers = Int(text["num_hidden_layers"], "num_hidden_layers"),
            KvHeads = text["num_key_value_heads"]?.GetValue<int>() ?? heads ?? throw new ModelLoadException($"config.json in {folder} has no num_key_value_heads."),
            HeadSize = text["head_dim"]?.GetValue<int>() ?? hidden / (heads ?? throw new ModelLoadException($"config.json in {folder} has no num_attention_heads.")),
            Hidden = hidden,
            Vocab = Int(text["vocab_size"], "vocab_size"),
            ImageTokenId = config["image_token_id"]?.GetValue<int>(),
            ImageTokens = preprocessor?["image_seq_len"]?.GetValue<int>() ?? 64,
            ImageSize = preprocessor?["size"]?["longest_edge"]?.GetValue<int>() ?? config["vision_config"]?["image_size"]?.GetValue<int>() ?? 512,
            ImageMean = Floats(preprocessor?["image_mean"]) ?? [0.5f, 0.5f, 0.5f],
            ImageStd = Floats(preprocessor?["image_std"]) ?? [0.5f, 0.5f, 0.5f],
            EosTokenIds = eos,
        };
    }

    private static JsonObject? ReadJson(string folder, string name, bool required)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path)) return required ? throw new ModelLoadException($"{folder} has no {name}.") : null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ModelLoadException($"{path} is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"{path} is not valid JSON: {ex.Message}");
        }
    }

    private static string? FirstExisting(string folder, params string[] candidates) =>
        candidates.FirstOrDefault(c => File.Exists(Path.Combine(folder, c)));

    private static float[]? Floats(JsonNode? node) => node is JsonArray array ? array.Select(v => v!.GetValue<float>()).ToArray() : null;
}

/// <summary>A model folder or graph that cannot be used; the message names the missing file or tensor.</summary>
public sealed class ModelLoadException(string message) : Exception(message);
