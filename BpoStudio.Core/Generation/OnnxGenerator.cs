using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;

namespace BpoStudio.Core.Generation;

public sealed record GeneratedToken(int Id, int Index, bool IsEos);

/// <summary>
/// The decode loop over a model folder: prefill with image features scattered into the image-token rows, then one
/// token per step with the KV cache handed from step to step through an IOBinding as the same native tensors
/// (present.* of step t are past_key_values.* of step t+1; nothing is copied), sampling, and stops on eos, max tokens
/// or cancellation.
/// </summary>
public sealed class OnnxGenerator : IDisposable
{
    private readonly InferenceSession _decoder;
    private readonly InferenceSession? _embed, _vision;
    private readonly Microsoft.ML.OnnxRuntime.Tensors.TensorElementType _kvType;
    private readonly bool _feedsIds, _hasCacheBranch, _hasLogitsToKeep;
    private readonly string[] _outputNames;

    private OnnxGenerator(ModelManifest manifest, string folder, SessionOptions options, SessionOptions auxiliary, ProviderChoice provider)
    {
        Manifest = manifest;
        Provider = provider;
        _decoder = Open(folder, manifest.DecoderFile, options);
        _embed = manifest.EmbedFile is { } embed ? Open(folder, embed, auxiliary) : null;
        _vision = manifest.VisionFile is { } vision ? Open(folder, vision, auxiliary) : null;
        _feedsIds = _embed is null;
        var inputs = _decoder.InputMetadata;
        Require(inputs.Keys, manifest.DecoderFile, "input", [_feedsIds ? "input_ids" : manifest.EmbedsInput, "attention_mask", "position_ids",
            .. Enumerable.Range(0, manifest.Layers).SelectMany(l => new[] { ModelManifest.TensorName(manifest.PastKey, l), ModelManifest.TensorName(manifest.PastValue, l) })]);
        _outputNames = ["logits", .. Enumerable.Range(0, manifest.Layers).SelectMany(l => new[] { ModelManifest.TensorName(manifest.PresentKey, l), ModelManifest.TensorName(manifest.PresentValue, l) })];
        Require(_decoder.OutputMetadata.Keys, manifest.DecoderFile, "output", _outputNames);
        _kvType = inputs[ModelManifest.TensorName(manifest.PastKey, 0)].ElementDataType;
        _hasCacheBranch = inputs.ContainsKey("use_cache_branch");
        _hasLogitsToKeep = inputs.ContainsKey("num_logits_to_keep");
    }

    public ModelManifest Manifest { get; }
    public ProviderChoice Provider { get; }

    public static OnnxGenerator Open(string folder, int threads = 0, string variant = "", string? provider = null)
    {
        var manifest = ModelManifest.Load(folder, variant);
        var (options, choice) = ExecutionProviders.Create(threads, provider);
        var (auxiliary, _) = ExecutionProviders.Create(threads, choice.Provider == "CPU" ? "CPU" : choice.Provider, spinning: false);
        using (options)
        using (auxiliary)
            return new OnnxGenerator(manifest, folder, options, auxiliary, choice);
    }

    /// <summary>Token embeddings [S, hidden] from the embed graph.</summary>
    public float[] Embed(ReadOnlySpan<long> ids)
    {
        if (_embed is null) throw new InvalidOperationException($"{Manifest.Name} takes token ids directly; it has no embed graph.");
        using var input = OrtValue.CreateTensorValueFromMemory(ids.ToArray(), [1, ids.Length]);
        using var outputs = _embed.Run(new RunOptions(), ["input_ids"], [input], ["inputs_embeds"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Image features [images x image tokens, hidden] for pixels [images, 3, size, size] already normalised.</summary>
    public float[] EncodeImages(float[] pixels, int images)
    {
        if (_vision is null) throw new InvalidOperationException($"{Manifest.Name} has no vision encoder.");
        var size = Manifest.ImageSize;
        using var values = OrtValue.CreateTensorValueFromMemory(pixels, [1, images, 3, size, size]);
        using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(true, images * size * size).ToArray(), [1, images, size, size]);
        using var outputs = _vision.Run(new RunOptions(), ["pixel_values", "pixel_attention_mask"], [values, mask], ["image_features"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The prompt's embeddings with the image features written, row by row, over the image-token rows.</summary>
    public float[] PromptEmbeddings(long[] ids, float[]? imageFeatures)
    {
        var embeds = Embed(ids);
        if (imageFeatures is null) return embeds;
        var hidden = Manifest.Hidden;
        var rows = ids.Select((id, i) => (id, i)).Where(t => t.id == Manifest.ImageTokenId).Select(t => t.i).ToList();
        if (rows.Count * hidden != imageFeatures.Length)
            throw new ArgumentException($"The prompt has {rows.Count} image tokens but the vision encoder gave {imageFeatures.Length / hidden} feature rows.");
        for (var r = 0; r < rows.Count; r++)
            imageFeatures.AsSpan(r * hidden, hidden).CopyTo(embeds.AsSpan(rows[r] * hidden, hidden));
        return embeds;
    }

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(long[] promptIds, float[]? imageFeatures, SamplingSettings settings,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (promptIds.Length == 0) throw new ArgumentException("The prompt has no tokens.");
        await Task.Yield();
        using var runOptions = new RunOptions();
        using var stop = ct.Register(() => runOptions.Terminate = true);
        using var binding = _decoder.CreateIoBinding();
        var sampler = new TokenSampler(settings);
        var seen = new HashSet<int>(promptIds.Select(i => (int)i));
        var past = EmptyPast();
        try
        {
            long[] step = promptIds;
            float[]? embeds = _feedsIds ? null : PromptEmbeddings(promptIds, imageFeatures);
            var total = 0;
            for (var index = 0; index < settings.MaxNewTokens; index++)
            {
                ct.ThrowIfCancellationRequested();
                var (logits, present) = Step(step, embeds, total, past, runOptions, binding);
                DisposeAll(past);
                past = present;
                total += step.Length;
                var token = sampler.Next(logits, seen);
                seen.Add(token);
                var eos = Manifest.EosTokenIds.Contains(token);
                yield return new GeneratedToken(token, index, eos);
                if (eos) yield break;
                step = [token];
                embeds = _feedsIds ? null : Embed(step);
            }
        }
        finally
        {
            DisposeAll(past);
        }
    }

    // One IOBinding for the whole generation: inputs are bound as they are (the previous step's present tensors as
    // this step's past), outputs are allocated by ONNX Runtime, and nothing is copied between steps.
    private (float[] Logits, OrtValue[] Present) Step(long[] ids, float[]? embeds, int pastLength, OrtValue[] past, RunOptions runOptions, OrtIoBinding binding)
    {
        var length = ids.Length;
        var names = new List<string>();
        var values = new List<OrtValue>();
        var owned = new List<OrtValue>();
        void Add(string name, OrtValue value, bool own = true)
        {
            names.Add(name);
            values.Add(value);
            if (own) owned.Add(value);
        }
        Add(_feedsIds ? "input_ids" : Manifest.EmbedsInput, _feedsIds
            ? OrtValue.CreateTensorValueFromMemory(ids, [1, length])
            : OrtValue.CreateTensorValueFromMemory(embeds!, [1, length, Manifest.Hidden]));
        Add("attention_mask", OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, pastLength + length).ToArray(), [1, pastLength + length]));
        Add("position_ids", OrtValue.CreateTensorValueFromMemory(Enumerable.Range(pastLength, length).Select(p => (long)p).ToArray(), [1, length]));
        for (var l = 0; l < Manifest.Layers; l++)
        {
            Add(ModelManifest.TensorName(Manifest.PastKey, l), past[2 * l], own: false);
            Add(ModelManifest.TensorName(Manifest.PastValue, l), past[2 * l + 1], own: false);
        }
        if (_hasCacheBranch) Add("use_cache_branch", OrtValue.CreateTensorValueFromMemory(new[] { pastLength > 0 }, [1]));
        if (_hasLogitsToKeep) Add("num_logits_to_keep", OrtValue.CreateTensorValueFromMemory(new[] { 1L }, []));
        try
        {
            binding.ClearBoundInputs();
            binding.ClearBoundOutputs();
            for (var i = 0; i < names.Count; i++) binding.BindInput(names[i], values[i]);
            foreach (var output in _outputNames) binding.BindOutputToDevice(output, OrtMemoryInfo.DefaultInstance);
            _decoder.RunWithBinding(runOptions, binding);
            var outputs = binding.GetOutputValues();
            using var logits = outputs[0];
            var all = logits.GetTensorDataAsSpan<float>();
            var last = all[^Manifest.Vocab..].ToArray();
            return (last, outputs.Skip(1).ToArray());
        }
        catch (OnnxRuntimeException) when (runOptions.Terminate)
        {
            throw new OperationCanceledException("Generation was cancelled.");
        }
        finally
        {
            DisposeAll(owned);
        }
    }

    private OrtValue[] EmptyPast()
    {
        long[] shape = [1, Manifest.KvHeads, 0, Manifest.HeadSize];
        return Enumerable.Range(0, 2 * Manifest.Layers).Select(_ => _kvType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16
            ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), shape)
            : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), shape)).ToArray();
    }

    private static void DisposeAll(IEnumerable<OrtValue> values)
    {
        foreach (var value in values) value.Dispose();
    }

    private static InferenceSession Open(string folder, string file, SessionOptions options)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path)) throw new ModelLoadException($"{folder} has no {file}.");
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"{file} in {folder} could not be loaded: {ex.Message.Split('\n')[0]}");
        }
    }

    private static void Require(IEnumerable<string> declared, string file, string kind, IEnumerable<string> expected)
    {
        var set = declared.ToHashSet();
        if (expected.FirstOrDefault(name => !set.Contains(name)) is { } missing)
            throw new ModelLoadException($"{file} has no {kind} '{missing}', which the model manifest expects (it declares {string.Join(", ", set.Order().Take(8))}...).");
    }

    public void Dispose()
    {
        _decoder.Dispose();
        _embed?.Dispose();
        _vision?.Dispose();
    }
}
