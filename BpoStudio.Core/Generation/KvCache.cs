using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BpoStudio.Core.Generation;

/// <summary>
/// A batch's key/value cache: per layer a key and a value tensor [rows, kv heads, length, head size], fp32 or fp16,
/// where the model keeps its cache (<see cref="KvCacheHome"/>). Each row's sequence is right-aligned: its tokens are
/// the columns from <see cref="Start"/> of that row to the end, and the attention mask hides the columns before. Rows
/// are rewritten when a finished sequence's slot takes a new prompt that fits; otherwise the cache is rebuilt with
/// only the columns some row uses. In host memory rows are copied in place; in a provider's memory, by a gather.
/// </summary>
internal sealed class KvCache : IDisposable
{
    private readonly int _heads, _headSize, _elementSize;
    private readonly TensorElementType _type;
    private readonly KvRowGather? _gather;

    private KvCache(OrtValue[] values, int rows, int length, int heads, int headSize, TensorElementType type, int[] starts, KvRowGather? gather)
    {
        _gather = gather;
        Values = values;
        Rows = rows;
        Length = length;
        _heads = heads;
        _headSize = headSize;
        _type = type;
        _elementSize = type == TensorElementType.Float16 ? 2 : 4;
        Start = starts;
    }

    public OrtValue[] Values { get; private set; }
    public int Rows { get; }
    public int Length { get; private set; }

    /// <summary>Per row, the first column its sequence uses.</summary>
    public int[] Start { get; }

    /// <summary>Columns row <paramref name="row"/>'s sequence holds: from its start to the end.</summary>
    public int Used(int row) => Length - Start[row];

    /// <summary>Leading columns no row would use once <paramref name="sourceRows"/> of <paramref name="source"/> join <paramref name="liveRows"/>: attention reads them for nothing.</summary>
    public int WasteAfterWriting(IEnumerable<int> liveRows, KvCache source, IEnumerable<int> sourceRows) =>
        liveRows.Select(r => Start[r]).Concat(sourceRows.Select(r => Length - source.Used(r))).DefaultIfEmpty(0).Min();

    /// <summary>Takes over a decoder run's present tensors [rows, heads, length, head size].</summary>
    public static KvCache Adopt(OrtValue[] present, int[] starts, OnnxGenerator model)
    {
        var shape = present[0].GetTensorTypeAndShape().Shape;
        return new KvCache(present, (int)shape[0], (int)shape[2], model.Manifest.KvHeads, model.Manifest.HeadSize, model.KvType, starts, model.Gather);
    }

    /// <summary>The next run's present tensors replace these (one column longer).</summary>
    public void Advance(OrtValue[] present)
    {
        OnnxGenerator.DisposeAll(Values);
        Values = present;
        Length++;
    }

    /// <summary>Mask [rows, length + 1] for the next step: each row's own columns and the new token.</summary>
    public long[] NextMask()
    {
        var width = Length + 1;
        var mask = new long[Rows * width];
        for (var r = 0; r < Rows; r++) mask.AsSpan(r * width + Start[r], width - Start[r]).Fill(1L);
        return mask;
    }

    /// <summary>Whether row <paramref name="sourceRow"/> of <paramref name="source"/> fits in this cache's length.</summary>
    public bool Fits(KvCache source, int sourceRow) => source.Used(sourceRow) <= Length;

    /// <summary>Copies sequences from another cache into free rows, right-aligned; their earlier columns become masked.</summary>
    public void WriteRows(IReadOnlyList<(int Row, int SourceRow)> moves, KvCache source)
    {
        if (moves.Count == 0) return;
        if (_gather is not null)
        {
            var rows = Enumerable.Range(0, Rows).Select(r => (Source: this, Row: r)).ToArray();
            foreach (var (row, sourceRow) in moves) rows[row] = (source, sourceRow);
            var gathered = _gather.Gather(rows, Length);
            OnnxGenerator.DisposeAll(Values);
            Values = gathered;
        }
        foreach (var (row, sourceRow) in moves)
        {
            var used = source.Used(sourceRow);
            if (_gather is null)
                for (var v = 0; v < Values.Length; v++)
                    CopyRow(_heads, _headSize * _elementSize, source.Values[v], source.Length, sourceRow, source.Start[sourceRow], Values[v], Length, row, Length - used, used);
            Start[row] = Length - used;
        }
    }

    /// <summary>A new cache of the given rows (cache and row each), as long as the longest of them needs, no more.</summary>
    public static KvCache Compose(IReadOnlyList<(KvCache Source, int Row)> rows, OnnxGenerator model)
    {
        var length = rows.Max(r => r.Source.Used(r.Row));
        var starts = rows.Select(r => length - r.Source.Used(r.Row)).ToArray();
        var values = model.Gather?.Gather(rows, length) ?? HostCompose(rows, length, starts);
        return new KvCache(values, rows.Count, length, model.Manifest.KvHeads, model.Manifest.HeadSize, model.KvType, starts, model.Gather);
    }

    private static OrtValue[] HostCompose(IReadOnlyList<(KvCache Source, int Row)> rows, int length, int[] starts)
    {
        var first = rows[0].Source;
        long[] shape = [rows.Count, first._heads, length, first._headSize];
        var values = new OrtValue[first.Values.Length];
        for (var v = 0; v < values.Length; v++)
        {
            values[v] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, first._type, shape);
            values[v].GetTensorMutableRawData().Clear();
        }
        for (var i = 0; i < rows.Count; i++)
        {
            var (source, row) = rows[i];
            for (var v = 0; v < values.Length; v++)
                CopyRow(first._heads, first._headSize * first._elementSize, source.Values[v], source.Length, row, source.Start[row], values[v], length, i, starts[i], length - starts[i]);
        }
        return values;
    }

    // Per head, one contiguous run of columns: [row, head, column, head size] is row-major.
    private static void CopyRow(int heads, int width, OrtValue from, int fromLength, int fromRow, int fromColumn, OrtValue to, int toLength, int toRow, int toColumn, int columns)
    {
        var source = from.GetTensorMutableRawData();
        var target = to.GetTensorMutableRawData();
        for (var h = 0; h < heads; h++)
        {
            var s = (((long)fromRow * heads + h) * fromLength + fromColumn) * width;
            var t = (((long)toRow * heads + h) * toLength + toColumn) * width;
            source.Slice((int)s, columns * width).CopyTo(target.Slice((int)t, columns * width));
        }
    }

    public void Dispose() => OnnxGenerator.DisposeAll(Values);
}
