using System.Text.Json;
using BpoStudio.Core.Generation.Onnx;
using BpoStudio.Core.Imaging;
using static BpoStudio.Core.Generation.Onnx.OnnxGraphBuilder;

namespace BpoStudio.Core.Generation;

/// <summary>Sizes of a random-weight decoder with a real model's tensor names and shapes.</summary>
/// <param name="Mlp">Width of each layer's feed-forward block; 0 leaves it out (tiny test models).</param>
/// <param name="Float16Cache">KV cache inputs and outputs in fp16, as in the <c>_fp16</c> exports.</param>
/// <param name="MaxPositions">Rows of the learned position table added to the input: outputs depend on position ids.</param>
public sealed record SyntheticModelSize(int Layers = 2, int KvHeads = 2, int HeadSize = 8, int Hidden = 16, int Vocab = 64,
    int ImageSize = 32, int ImageTokens = 4, int ImageTokenId = 60, int EosTokenId = 63, int Mlp = 0, bool Float16Cache = false, int MaxPositions = 2048)
{
    /// <summary>SmolLM2-135M's decoder dimensions: 30 layers, 3 KV heads of 64, hidden 576, feed-forward 1,536, vocabulary 49,152.</summary>
    public static SyntheticModelSize SmolLm2Like => new(Layers: 30, KvHeads: 3, HeadSize: 64, Hidden: 576, Vocab: 49152, ImageTokenId: 49151, EosTokenId: 2, Mlp: 1536);

    /// <summary>Bytes of weights one decode step reads: every layer, the output head, one embedding row.</summary>
    public long WeightBytesPerToken => 4L * (Layers * (4L * Hidden * KvHeads * HeadSize + 2L * Hidden * Mlp) + (long)Hidden * Vocab + 2L * Hidden);
}

/// <summary>
/// Writes ONNX model folders with random weights and exactly the SmolVLM (Idefics3) export's tensor names and shapes:
/// <c>vision_encoder</c>, <c>embed_tokens</c> and a merged decoder with a KV cache and causal attention. No weights
/// can be downloaded here, so tests and <c>bench generate</c> run the real engine on these.
/// </summary>
public static class SyntheticModels
{
    public static void WriteSmolVlmFolder(string folder, SyntheticModelSize size, long seed = 1, bool withVision = true)
    {
        var onnx = Path.Combine(folder, "onnx");
        var random = new SeededRandom(seed);
        WriteEmbedTokens(Path.Combine(onnx, "embed_tokens.onnx"), size, random);
        WriteDecoder(Path.Combine(onnx, "decoder_model_merged.onnx"), size, random);
        if (withVision) WriteVisionEncoder(Path.Combine(onnx, "vision_encoder.onnx"), size, random);
        var config = new Dictionary<string, object>
        {
            ["model_type"] = withVision ? "idefics3" : "llama",
            ["image_token_id"] = size.ImageTokenId,
            ["text_config"] = new Dictionary<string, object>
            {
                ["num_hidden_layers"] = size.Layers, ["num_key_value_heads"] = size.KvHeads, ["num_attention_heads"] = size.KvHeads,
                ["hidden_size"] = size.Hidden, ["head_dim"] = size.HeadSize, ["vocab_size"] = size.Vocab,
            },
            ["vision_config"] = new Dictionary<string, object> { ["image_size"] = size.ImageSize },
            ["scale_factor"] = 1,
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(config));
        if (size.Vocab == 64) WriteTinyTokenizer(Path.Combine(folder, "tokenizer.json"), size);
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), JsonSerializer.Serialize(new { eos_token_id = new[] { size.EosTokenId }, bos_token_id = 1 }));
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"),
            JsonSerializer.Serialize(new { image_mean = new[] { 0.5, 0.5, 0.5 }, image_std = new[] { 0.5, 0.5, 0.5 }, size = new { longest_edge = size.ImageSize }, image_seq_len = size.ImageTokens }));
    }

    /// <summary>
    /// A 64-token byte-level BPE vocabulary: lowercase letters, digits, space (Ġ), newline (Ċ), a few marks and merges,
    /// and SmolVLM's special tokens at the ids the synthetic config names.
    /// </summary>
    public static void WriteTinyTokenizer(string path, SyntheticModelSize size, bool mergesAsPairs = false)
    {
        var vocab = new Dictionary<string, int> { ["<|im_start|>"] = 0, ["<|endoftext|>"] = 1 };
        foreach (var c in "abcdefghijklmnopqrstuvwxyz0123456789") vocab[c.ToString()] = vocab.Count;
        foreach (var token in new[] { "Ġ", "Ċ", ":", "?", ".", "U", "A", "th", "the", "is", "Ġth", "Ġthe", "Ġis" }) vocab[token] = vocab.Count;
        while (vocab.Count < size.ImageTokenId) vocab[$"<unused_{vocab.Count}>"] = vocab.Count;
        string[][] merges = [["t", "h"], ["th", "e"], ["i", "s"], ["Ġ", "th"], ["Ġth", "e"], ["Ġ", "is"]];
        var special = new[] { ("<image>", size.ImageTokenId), ("<fake_token_around_image>", size.ImageTokenId + 1), ("<global-img>", size.ImageTokenId + 2), ("<end_of_utterance>", size.EosTokenId) };
        foreach (var (token, id) in special) vocab[token] = id;
        var json = new
        {
            version = "1.0",
            added_tokens = special.Select(t => new { id = t.Item2, content = t.Item1, special = true }).Append(new { id = 0, content = "<|im_start|>", special = true }),
            pre_tokenizer = new { type = "Sequence", pretokenizers = new object[] { new { type = "Digits", individual_digits = true }, new { type = "ByteLevel", add_prefix_space = false, use_regex = true } } },
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab, merges = mergesAsPairs ? (object)merges : merges.Select(m => string.Join(' ', m)).ToArray() },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(json));
    }

    private static void WriteEmbedTokens(string path, SyntheticModelSize s, SeededRandom random)
    {
        var g = new OnnxGraphBuilder("embed_tokens")
            .Input("input_ids", Int64Type, "batch_size", "sequence_length")
            .Output("inputs_embeds", Float, "batch_size", "sequence_length", (long)s.Hidden);
        g.Node("Gather", [g.Weights("embed.weight", Normal(random, s.Vocab * s.Hidden, 1f), s.Vocab, s.Hidden), "input_ids"], "inputs_embeds", ("axis", 0L));
        g.Save(path);
    }

    private static void WriteVisionEncoder(string path, SyntheticModelSize s, SeededRandom random)
    {
        var g = new OnnxGraphBuilder("vision_encoder")
            .Input("pixel_values", Float, 1L, "num_images", 3L, (long)s.ImageSize, (long)s.ImageSize)
            .Input("pixel_attention_mask", Bool, 1L, "num_images", (long)s.ImageSize, (long)s.ImageSize)
            .Output("image_features", Float, "image_tokens", (long)s.Hidden);
        var flat = g.Node("Reshape", ["pixel_values", g.Int64s([-1, 3, (long)s.ImageSize * s.ImageSize], 3)], "flat");
        var mean = g.Node("ReduceMean", [flat], "mean", ("axes", new long[] { 2 }), ("keepdims", 0L));
        var projected = g.Node("MatMul", [mean, g.Weights("vision.proj", Normal(random, 3 * s.ImageTokens * s.Hidden, 1f), 3, (long)s.ImageTokens * s.Hidden)], "projected");
        var biased = g.Node("Add", [projected, g.Weights("vision.bias", Normal(random, s.ImageTokens * s.Hidden, 0.5f), (long)s.ImageTokens * s.Hidden)], "biased");
        g.Node("Reshape", [biased, g.Int64s([-1, s.Hidden], 2)], "image_features");
        g.Save(path);
    }

    private static void WriteDecoder(string path, SyntheticModelSize s, SeededRandom random)
    {
        var g = new OnnxGraphBuilder("decoder_model_merged")
            .Input("inputs_embeds", Float, "batch_size", "sequence_length", (long)s.Hidden)
            .Input("attention_mask", Int64Type, "batch_size", "total_sequence_length")
            .Input("position_ids", Int64Type, "batch_size", "sequence_length");
        var cacheType = s.Float16Cache ? Float16 : Float;
        for (var l = 0; l < s.Layers; l++)
            foreach (var part in new[] { "key", "value" })
                g.Input($"past_key_values.{l}.{part}", cacheType, "batch_size", (long)s.KvHeads, "past_sequence_length", (long)s.HeadSize);
        g.Output("logits", Float, "batch_size", "sequence_length", (long)s.Vocab);
        for (var l = 0; l < s.Layers; l++)
            foreach (var part in new[] { "key", "value" })
                g.Output($"present.{l}.{part}", cacheType, "batch_size", (long)s.KvHeads, "total_sequence_length", (long)s.HeadSize);

        // Causal mask from positions: key j is hidden from query i when pos(j) > pos(i) or j is padding.
        var keyPositions = g.Node("Sub", [g.Node("CumSum", ["attention_mask", g.Scalar(1L)], "mask_cumsum"), g.Scalar(1L)], "key_positions");
        var future = g.Node("Greater", [g.Node("Unsqueeze", [keyPositions, g.Int64s([1, 2], 2)], "key_positions_4d"),
            g.Node("Unsqueeze", ["position_ids", g.Int64s([1, 3], 2)], "query_positions_4d")], "future");
        var padding = g.Node("Unsqueeze", [g.Node("Equal", ["attention_mask", g.Scalar(0L)], "is_padding"), g.Int64s([1, 2], 2)], "padding_4d");
        var bias = g.Node("Where", [g.Node("Or", [future, padding], "hidden"), g.Scalar(-1e9f), g.Scalar(0f)], "attention_bias");

        var width = (long)s.KvHeads * s.HeadSize;
        var split = g.Int64s([0, 0, s.KvHeads, s.HeadSize], 4);
        var merge = g.Int64s([0, 0, width], 3);
        var scale = g.Scalar(1f / MathF.Sqrt(s.HeadSize));
        // A learned position table, so a wrong position id (a padding bug) changes the answer as RoPE would.
        var std = 1f / MathF.Sqrt(s.Hidden);
        var x = g.Node("Add", ["inputs_embeds", g.Node("Gather", [g.Weights("positions", Normal(random, s.MaxPositions * s.Hidden, 0.5f), s.MaxPositions, s.Hidden), "position_ids"], "position_embeds", ("axis", 0L))], "embedded");
        for (var l = 0; l < s.Layers; l++)
        {
            string Heads(string name) => g.Node("Transpose", [g.Node("Reshape",
                [g.Node("MatMul", [x, g.Weights($"layers.{l}.{name}", Normal(random, (int)(s.Hidden * width), std), s.Hidden, width)], $"l{l}_{name}_flat"), split], $"l{l}_{name}_split")],
                $"l{l}_{name}", ("perm", new long[] { 0, 2, 1, 3 }));
            var q = Heads("q");
            string Cache(string part)
            {
                if (!s.Float16Cache) return g.Node("Concat", [$"past_key_values.{l}.{part}", Heads(part[..1])], $"present.{l}.{part}", ("axis", 2L));
                var past = g.Node("Cast", [$"past_key_values.{l}.{part}"], $"l{l}_past_{part}_f32", ("to", (long)Float));
                var full = g.Node("Concat", [past, g.Node("Cast", [g.Node("Cast", [Heads(part[..1])], $"l{l}_{part}_f16", ("to", (long)Float16))], $"l{l}_{part}_rounded", ("to", (long)Float))], $"l{l}_{part}_all", ("axis", 2L));
                g.Node("Cast", [full], $"present.{l}.{part}", ("to", (long)Float16));
                return full;
            }
            var key = Cache("key");
            var value = Cache("value");
            var scores = g.Node("Add", [g.Node("Mul", [g.Node("MatMul", [q, g.Node("Transpose", [key], $"l{l}_kT", ("perm", new long[] { 0, 1, 3, 2 }))], $"l{l}_qk"), scale], $"l{l}_scaled"), bias], $"l{l}_scores");
            var attended = g.Node("MatMul", [g.Node("Softmax", [scores], $"l{l}_probs", ("axis", -1L)), value], $"l{l}_attended");
            var merged = g.Node("Reshape", [g.Node("Transpose", [attended], $"l{l}_attended_t", ("perm", new long[] { 0, 2, 1, 3 })), merge], $"l{l}_merged");
            var output = g.Node("MatMul", [merged, g.Weights($"layers.{l}.o", Normal(random, (int)(width * s.Hidden), 1f / MathF.Sqrt(width)), width, s.Hidden)], $"l{l}_out");
            x = g.Node("Add", [x, g.Node("Tanh", [output], $"l{l}_act")], $"l{l}_residual");
            if (s.Mlp > 0)
            {
                var up = g.Node("Tanh", [g.Node("MatMul", [x, g.Weights($"layers.{l}.up", Normal(random, s.Hidden * s.Mlp, std), s.Hidden, s.Mlp)], $"l{l}_up")], $"l{l}_up_act");
                var down = g.Node("MatMul", [up, g.Weights($"layers.{l}.down", Normal(random, s.Mlp * s.Hidden, 1f / MathF.Sqrt(s.Mlp)), s.Mlp, s.Hidden)], $"l{l}_down");
                x = g.Node("Add", [x, down], $"l{l}_mlp_residual");
            }
        }
        g.Node("MatMul", [x, g.Weights("lm_head", Normal(random, s.Hidden * s.Vocab, 1f), s.Hidden, s.Vocab)], "logits");
        g.Save(path);
    }

    private static float[] Normal(SeededRandom random, int count, float std)
    {
        var values = new float[count];
        random.FillStandardNormal(values);
        for (var i = 0; i < values.Length; i++) values[i] *= std;
        return values;
    }
}
