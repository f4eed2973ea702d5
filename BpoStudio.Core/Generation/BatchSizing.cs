using System.Runtime.InteropServices;

namespace BpoStudio.Core.Generation;

/// <summary>
/// How many sequences a local model decodes together. A configured size wins; otherwise as many as a quarter of the
/// memory holds (each sequence's KV cache at its longest, and its share of the prefill logits), at most 8 on a CPU,
/// where a few cores are compute-bound beyond that, and 32 on a GPU. A cache kept in GPU memory is sized from the
/// GPU's free memory, the logits (which come to the host) from the process's.
/// </summary>
public static class BatchSizing
{
    public const int CpuCap = 8, GpuCap = 32;

    /// <summary>A long prompt with one image tile, for sizing.</summary>
    private const int PromptTokens = 256;

    public static int Resolve(int configured, OnnxGenerator generator, long? availableBytes = null) =>
        configured > 0 ? configured : Auto(generator.Manifest, generator.KvType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16 ? 2 : 4,
            generator.Provider.Provider, generator.HasLogitsToKeep, availableBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            generator.CacheHome == KvCacheHome.Provider && generator.Provider.Provider == "CUDA" ? CudaFreeBytes() : null);

    /// <param name="deviceBytes">Free memory where the cache lives when that is not the host's; null: the host holds both.</param>
    public static int Auto(ModelManifest manifest, int kvElementBytes, string provider, bool logitsForLastTokenOnly, long availableBytes, long? deviceBytes = null)
    {
        var tokens = PromptTokens + manifest.ImageTokens + manifest.Search.MaxNewTokens;
        var cache = 2L * manifest.Layers * manifest.KvHeads * manifest.HeadSize * kvElementBytes * tokens;
        var logits = 4L * manifest.Vocab * (logitsForLastTokenOnly ? 1 : PromptTokens + manifest.ImageTokens);
        var fits = deviceBytes is { } device
            ? Math.Min(device / 4 / Math.Max(1, cache), availableBytes / 4 / Math.Max(1, logits))
            : availableBytes / 4 / Math.Max(1, cache + logits);
        return (int)Math.Clamp(fits, 1, provider == "CPU" ? CpuCap : GpuCap);
    }

    /// <summary>The current GPU's free memory from the CUDA runtime ONNX Runtime's provider loaded; null where it cannot say.</summary>
    private static long? CudaFreeBytes()
    {
        try
        {
            return cudaMemGetInfo(out var free, out _) == 0 ? (long)free : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport(ExecutionProviders.CudaRuntime)]
    private static extern int cudaMemGetInfo(out nuint free, out nuint total);
}
