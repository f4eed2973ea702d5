using BpoStudio.Core.Generation.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BpoStudio.Core.Generation;

/// <summary>
/// Moves sequences between KV caches that live in the execution provider's memory (a GPU), where the host cannot
/// copy rows itself: a small graph the provider runs gathers every new row, right-aligned, from at most two caches
/// (the batch's and a newly prefilled group's) in one run for all layers. Columns a row does not use are filled with
/// that row's first real column: any finite value works, the attention mask hides them.
/// </summary>
internal sealed class KvRowGather : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtMemoryInfo _memory;
    private readonly int _tensors, _heads;
    private readonly OrtValue _empty;

    public KvRowGather(ModelManifest manifest, TensorElementType type, SessionOptions options, OrtMemoryInfo memory)
    {
        _tensors = 2 * manifest.Layers;
        _heads = manifest.KvHeads;
        _memory = memory;
        _session = new InferenceSession(Graph(_tensors, manifest.KvHeads, manifest.HeadSize, type == TensorElementType.Float16 ? OnnxGraphBuilder.Float16 : OnnxGraphBuilder.Float), options);
        long[] none = [0, manifest.KvHeads, 0, manifest.HeadSize];
        _empty = type == TensorElementType.Float16
            ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), none)
            : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), none);
    }

    /// <summary>New tensors [rows, heads, <paramref name="length"/>, head size]: row i is row <c>rows[i].Row</c> of <c>rows[i].Source</c>, right-aligned.</summary>
    public OrtValue[] Gather(IReadOnlyList<(KvCache Source, int Row)> rows, int length)
    {
        var sources = rows.Select(r => r.Source).Distinct().ToList();
        if (sources.Count > 2) throw new InvalidInputError($"Rows come from {sources.Count} caches; a gather takes at most two.", nameof(rows));
        var first = sources[0];
        var second = sources.Count > 1 ? sources[1] : null;
        var index = new long[(long)rows.Count * _heads * length];
        for (var i = 0; i < rows.Count; i++)
        {
            var (source, row) = rows[i];
            var start = length - source.Used(row);
            var offset = source == first ? 0L : (long)first.Rows * _heads * first.Length;
            for (var h = 0; h < _heads; h++)
            {
                var from = offset + ((long)row * _heads + h) * source.Length + source.Start[row];
                var to = ((long)i * _heads + h) * length;
                for (var c = 0; c < length; c++) index[to + c] = from + Math.Max(0, c - start);
            }
        }
        using var binding = _session.CreateIoBinding();
        using var indexValue = OrtValue.CreateTensorValueFromMemory(index, [index.Length]);
        using var shape = OrtValue.CreateTensorValueFromMemory(new long[] { rows.Count, _heads, length, -1 }, [4]);
        binding.BindInput("index", indexValue);
        binding.BindInput("shape", shape);
        for (var v = 0; v < _tensors; v++)
        {
            binding.BindInput($"a{v}", first.Values[v]);
            binding.BindInput($"b{v}", second?.Values[v] ?? _empty);
            binding.BindOutputToDevice($"out{v}", _memory);
        }
        using var runOptions = new RunOptions();
        _session.RunWithBinding(runOptions, binding);
        return [.. binding.GetOutputValues()];
    }

    // Per tensor: both sources flattened to [elements / head size, head size], concatenated, rows gathered, reshaped.
    private static byte[] Graph(int tensors, int heads, int headSize, int elementType)
    {
        var g = new OnnxGraphBuilder("kv_row_gather")
            .Input("index", OnnxGraphBuilder.Int64Type, "n")
            .Input("shape", OnnxGraphBuilder.Int64Type, 4L);
        var flat = g.Int64s([-1, headSize], 2);
        for (var v = 0; v < tensors; v++)
        {
            g.Input($"a{v}", elementType, "a_rows", (long)heads, "a_length", (long)headSize)
                .Input($"b{v}", elementType, "b_rows", (long)heads, "b_length", (long)headSize)
                .Output($"out{v}", elementType, "rows", (long)heads, "length", (long)headSize);
            var both = g.Node("Concat", [g.Node("Reshape", [$"a{v}", flat], $"a{v}_flat"), g.Node("Reshape", [$"b{v}", flat], $"b{v}_flat")], $"both{v}", ("axis", 0L));
            g.Node("Reshape", [g.Node("Gather", [both, "index"], $"gathered{v}", ("axis", 0L)), "shape"], $"out{v}");
        }
        return g.ToBytes();
    }

    public void Dispose()
    {
        _session.Dispose();
        _empty.Dispose();
    }
}
