using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;

namespace BpoStudio.Core.Generation;

public sealed record GeneratedToken(int Id, int Index, bool IsEos);

/// <summary>
/// Where the KV cache stays between decode steps. <see cref="Host"/>: host memory, rows copied in place; the CPU
/// provider's own memory, but on a GPU every step copies the cache in and out. <see cref="Provider"/>: the execution
/// provider's memory, so no step copies the cache across the bus; rows move by a gather graph the provider runs. On
/// the CPU provider it runs the GPU's code, which is how tests and <c>bench generate --kv-cache provider</c> check it.
/// </summary>
public enum KvCacheHome
{
    Host,
    Provider,
}

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
    private readonly OrtMemoryInfo _cacheMemory;
    private readonly KvRowGather? _gather;

    private OnnxGenerator(ModelManifest manifest, string folder, SessionOptions options, SessionOptions auxiliary, ProviderChoice provider, KvCacheHome? cacheHome)
    {
        Manifest = manifest;
        Provider = provider;
        // DirectML keeps the host cache: its device tensors need the DML allocator's own resources, not tried yet.
        CacheHome = cacheHome ?? (provider.Provider == "CUDA" ? KvCacheHome.Provider : KvCacheHome.Host);
        if (CacheHome == KvCacheHome.Provider && provider.Provider == "DirectML")
            throw new ModelLoadException("DirectML keeps the KV cache in host memory: set Generation:Local:KvCache to Host or leave it unset.");
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
        _cacheMemory = (CacheHome == KvCacheHome.Provider ? ExecutionProviders.DeviceMemory(provider.Provider) : null) ?? OrtMemoryInfo.DefaultInstance;
        if (CacheHome == KvCacheHome.Provider) _gather = new KvRowGather(manifest, _kvType, auxiliary, _cacheMemory);
    }

    public ModelManifest Manifest { get; }
    public ProviderChoice Provider { get; }
    public KvCacheHome CacheHome { get; }

    /// <summary>Where the cache is, in words, for the benchmark and the Models page.</summary>
    public string CacheDescription => CacheHome == KvCacheHome.Host
        ? "host memory"
        : $"{(Provider.Provider == "CPU" ? "CPU" : Provider.Provider)} provider memory, rows moved by a gather graph";

    internal KvRowGather? Gather => _gather;

    /// <param name="cacheHome">Default: the provider's memory on CUDA, host memory otherwise.</param>
    public static OnnxGenerator Open(string folder, int threads = 0, string variant = "", string? provider = null, KvCacheHome? cacheHome = null)
    {
        var manifest = ModelManifest.Load(folder, variant);
        var (options, choice) = ExecutionProviders.Create(threads, provider);
        var (auxiliary, _) = ExecutionProviders.Create(threads, choice.Provider == "CPU" ? "CPU" : choice.Provider, spinning: false);
        using (options)
        using (auxiliary)
            return new OnnxGenerator(manifest, folder, options, auxiliary, choice, cacheHome);
    }

    internal bool FeedsIds => _feedsIds;
    public bool HasLogitsToKeep => _hasLogitsToKeep;
    public Microsoft.ML.OnnxRuntime.Tensors.TensorElementType KvType => _kvType;

    /// <summary>Token embeddings [S, hidden] from the embed graph.</summary>
    public float[] Embed(ReadOnlySpan<long> ids) => Embed(ids.ToArray(), 1, ids.Length);

    /// <summary>Token embeddings [rows, columns, hidden] for ids [rows, columns].</summary>
    public float[] Embed(long[] ids, int rows, int columns)
    {
        if (_embed is null) throw new ConflictError($"{Manifest.Name} takes token ids directly; it has no embed graph.");
        using var input = OrtValue.CreateTensorValueFromMemory(ids, [rows, columns]);
        using var outputs = _embed.Run(new RunOptions(), ["input_ids"], [input], ["inputs_embeds"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Image features [images x image tokens, hidden] for pixels [images, 3, size, size] already normalised.</summary>
    public float[] EncodeImages(float[] pixels, int images)
    {
        if (_vision is null) throw new ConflictError($"{Manifest.Name} has no vision encoder.");
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
        ScatterImageFeatures(ids, embeds, 0, imageFeatures);
        return embeds;
    }

    /// <summary>Writes <paramref name="imageFeatures"/> over the rows of <paramref name="embeds"/> (from <paramref name="offset"/> on) whose id is the image token.</summary>
    internal void ScatterImageFeatures(ReadOnlySpan<long> ids, float[] embeds, int offset, float[]? imageFeatures)
    {
        var hidden = Manifest.Hidden;
        var rows = 0;
        for (var i = 0; i < ids.Length; i++) if (ids[i] == Manifest.ImageTokenId) rows++;
        if (imageFeatures is null)
        {
            if (rows > 0 && _vision is not null) throw new InvalidInputError($"The prompt has {rows} image tokens but no image was given.");
            return;
        }
        if (rows * hidden != imageFeatures.Length)
            throw new InvalidInputError($"The prompt has {rows} image tokens but the vision encoder gave {imageFeatures.Length / hidden} feature rows.");
        var row = 0;
        for (var i = 0; i < ids.Length; i++)
            if (ids[i] == Manifest.ImageTokenId)
                imageFeatures.AsSpan(row++ * hidden, hidden).CopyTo(embeds.AsSpan(offset + i * hidden, hidden));
    }

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(long[] promptIds, float[]? imageFeatures, SamplingSettings settings,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (promptIds.Length == 0) throw new InvalidInputError("The prompt has no tokens.");
        await Task.Yield();
        using var runOptions = new RunOptions();
        using var stop = ct.Register(() => runOptions.Terminate = true);
        using var binding = _decoder.CreateIoBinding();
        var sampler = new TokenSampler(settings);
        var seen = new HashSet<int>(promptIds.Select(i => (int)i));
        var past = EmptyPast(1);
        try
        {
            long[] step = promptIds;
            float[]? embeds = _feedsIds ? null : PromptEmbeddings(promptIds, imageFeatures);
            var total = 0;
            for (var index = 0; index < settings.MaxNewTokens; index++)
            {
                ct.ThrowIfCancellationRequested();
                var (logits, present) = Step(TokensInput(step, embeds, 1, step.Length), Ones(total + step.Length), Range(total, step.Length), past, runOptions, binding);
                DisposeAll(past);
                past = present;
                total += step.Length;
                int token;
                using (logits)
                    token = sampler.Next(logits.GetTensorMutableDataAsSpan<float>()[^Manifest.Vocab..], seen);
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

    internal OrtValue TokensInput(long[] ids, float[]? embeds, int rows, int columns) => _feedsIds
        ? OrtValue.CreateTensorValueFromMemory(ids, [rows, columns])
        : OrtValue.CreateTensorValueFromMemory(embeds!, [rows, columns, Manifest.Hidden]);

    internal OrtIoBinding CreateBinding() => _decoder.CreateIoBinding();

    private static long[] Ones(int length)
    {
        var mask = new long[length];
        Array.Fill(mask, 1L);
        return mask;
    }

    private static long[] Range(int from, int count)
    {
        var positions = new long[count];
        for (var i = 0; i < count; i++) positions[i] = from + i;
        return positions;
    }

    /// <summary>
    /// One decoder run over [rows, columns] new tokens (<paramref name="tokens"/>, which this disposes), with the mask
    /// [rows, past + columns] and positions [rows, columns]. One IOBinding serves the whole generation: the past tensors
    /// are bound as they are (the previous run's present), ONNX Runtime allocates the present tensors where the cache
    /// lives (on a GPU with <see cref="KvCacheHome.Provider"/>) and only the logits come to the host.
    /// Returns the logits [rows, columns or 1, vocab] and the present tensors, both the caller's to dispose.
    /// </summary>
    internal (OrtValue Logits, OrtValue[] Present) Step(OrtValue tokens, long[] mask, long[] positions, OrtValue[] past, RunOptions runOptions, OrtIoBinding binding)
    {
        var rows = tokens.GetTensorTypeAndShape().Shape[0];
        var columns = positions.Length / rows;
        var pastLength = mask.Length / rows - columns;
        var owned = new List<OrtValue> { tokens };
        try
        {
            binding.ClearBoundInputs();
            binding.ClearBoundOutputs();
            binding.BindInput(_feedsIds ? "input_ids" : Manifest.EmbedsInput, tokens);
            void Bind(string name, OrtValue value)
            {
                owned.Add(value);
                binding.BindInput(name, value);
            }
            Bind("attention_mask", OrtValue.CreateTensorValueFromMemory(mask, [rows, mask.Length / rows]));
            Bind("position_ids", OrtValue.CreateTensorValueFromMemory(positions, [rows, columns]));
            for (var l = 0; l < Manifest.Layers; l++)
            {
                binding.BindInput(ModelManifest.TensorName(Manifest.PastKey, l), past[2 * l]);
                binding.BindInput(ModelManifest.TensorName(Manifest.PastValue, l), past[2 * l + 1]);
            }
            if (_hasCacheBranch) Bind("use_cache_branch", OrtValue.CreateTensorValueFromMemory(new[] { pastLength > 0 }, [1]));
            if (_hasLogitsToKeep) Bind("num_logits_to_keep", OrtValue.CreateTensorValueFromMemory(new[] { 1L }, []));
            binding.BindOutputToDevice(_outputNames[0], OrtMemoryInfo.DefaultInstance);
            for (var o = 1; o < _outputNames.Length; o++) binding.BindOutputToDevice(_outputNames[o], _cacheMemory);
            _decoder.RunWithBinding(runOptions, binding);
            var outputs = binding.GetOutputValues();
            return (outputs[0], outputs.Skip(1).ToArray());
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

    internal OrtValue[] EmptyPast(int rows)
    {
        long[] shape = [rows, Manifest.KvHeads, 0, Manifest.HeadSize];
        return Enumerable.Range(0, 2 * Manifest.Layers).Select(_ => _kvType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16
            ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), shape)
            : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), shape)).ToArray();
    }

    internal static void DisposeAll(IEnumerable<OrtValue> values)
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
        _gather?.Dispose();
        if (_cacheMemory != OrtMemoryInfo.DefaultInstance) _cacheMemory.Dispose();
    }
}
