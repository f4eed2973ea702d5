using BpoStudio.Core.Generation;
using BpoStudio.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace BpoStudio.Tests.Generation;

/// <summary>The provider-memory cache's gather graph moves exactly the rows the host copy moves.</summary>
public class KvCacheTests : IDisposable
{
    private static readonly SyntheticModelSize Size = new(Layers: 2, KvHeads: 2, HeadSize: 3);
    private readonly TestDataFolder _folder = new();

    public KvCacheTests() => SyntheticModels.WriteSmolVlmFolder(_folder.Path, Size, withVision: false);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ComposingAndWritingRows_ByTheGatherGraph_GiveTheHostCopysColumns()
    {
        using var host = OnnxGenerator.Open(_folder.Path, cacheHome: KvCacheHome.Host);
        using var provider = OnnxGenerator.Open(_folder.Path, cacheHome: KvCacheHome.Provider);
        Assert.Contains("gather", provider.CacheDescription);
        var results = new[] { host, provider }.Select(model =>
        {
            // A batch of 3 rows over 5 columns and a prefilled group of 2 rows over 7, each row with its own start.
            using var batch = Cache(model, rows: 3, length: 5, starts: [0, 2, 4], seed: 100);
            using var group = Cache(model, rows: 2, length: 7, starts: [3, 1], seed: 900);
            using var composed = KvCache.Compose([(group, 1), (batch, 2), (batch, 0), (group, 0)], model);
            using var written = Cache(model, rows: 3, length: 5, starts: [0, 2, 4], seed: 100);
            written.WriteRows([(1, 0), (2, 0)], group);
            written.WriteRows([(0, 1)], batch);
            return (Composed: Visible(composed), Written: Visible(written));
        }).ToList();

        Assert.Equal(results[0].Composed, results[1].Composed);
        Assert.Equal(results[0].Written, results[1].Written);
        // Row 0 of the composition is group row 1 (6 columns) right-aligned in the longest row's 6.
        Assert.Equal(Column(900, tensor: 0, row: 1, head: 1, column: 1, length: 7), results[1].Composed[0][0][1][0]);
        Assert.Equal(Column(100, tensor: 0, row: 1, head: 0, column: 2, length: 5), results[1].Written[0][0][0][0]);
    }

    [Fact]
    public void AGatherFromThreeCaches_IsRefusedWithTheReason()
    {
        using var provider = OnnxGenerator.Open(_folder.Path, cacheHome: KvCacheHome.Provider);
        using var a = Cache(provider, 1, 2, [0], 1);
        using var b = Cache(provider, 1, 2, [0], 2);
        using var c = Cache(provider, 1, 2, [0], 3);
        Assert.Contains("at most two", Assert.ThrowsAny<ArgumentException>(() => KvCache.Compose([(a, 0), (b, 0), (c, 0)], provider)).Message);
    }

    // Values that say where they came from: seed + tensor, row, head, column, element.
    private static float Column(int seed, int tensor, int row, int head, int column, int length, int element = 0) =>
        seed + tensor * 10_000 + ((row * Size.KvHeads + head) * length + column) * Size.HeadSize + element;

    private static KvCache Cache(OnnxGenerator model, int rows, int length, int[] starts, int seed)
    {
        var values = Enumerable.Range(0, 2 * Size.Layers).Select(v =>
            OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, rows * Size.KvHeads * length * Size.HeadSize).Select(i => (float)(seed + v * 10_000 + i)).ToArray(),
                [rows, Size.KvHeads, length, Size.HeadSize])).ToArray();
        return KvCache.Adopt(values, starts, model);
    }

    // Per tensor, per row, per head: the columns the row uses, as flattened values (masked columns are anyone's).
    private static List<List<List<float[]>>> Visible(KvCache cache) => cache.Values.Select(value =>
    {
        var data = value.GetTensorDataAsSpan<float>().ToArray();
        return Enumerable.Range(0, cache.Rows).Select(r => Enumerable.Range(0, Size.KvHeads).Select(h =>
            data.AsSpan(((r * Size.KvHeads + h) * cache.Length + cache.Start[r]) * Size.HeadSize, (cache.Length - cache.Start[r]) * Size.HeadSize).ToArray()).ToList()).ToList();
    }).ToList();
}
