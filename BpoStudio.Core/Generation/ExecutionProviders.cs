using Microsoft.ML.OnnxRuntime;

namespace BpoStudio.Core.Generation;

/// <summary>The provider that actually runs a session, and why better ones were passed over.</summary>
public sealed record ProviderChoice(string Provider, IReadOnlyList<string> Notes);

/// <summary>
/// DirectML, then CUDA, then CPU, each only when <c>GetAvailableProviders()</c> lists it; a provider that fails to
/// attach (missing entry point, unsupported build) is reported and the next one tried.
/// </summary>
public static class ExecutionProviders
{
    /// <param name="spinning">Whether idle worker threads spin. Graphs run once per step beside the decoder (embeddings)
    /// must not spin, or their threads take the cores the decoder needs.</param>
    public static (SessionOptions Options, ProviderChoice Choice) Create(int threads = 0, string? only = null, bool spinning = true)
    {
        var available = OrtEnv.Instance().GetAvailableProviders();
        var notes = new List<string>();
        var candidates = new (string Name, string Id, Action<SessionOptions> Attach)[]
        {
            ("DirectML", "DmlExecutionProvider", o => { o.EnableMemoryPattern = false; o.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL; o.AppendExecutionProvider_DML(0); }),
            ("CUDA", "CUDAExecutionProvider", o => o.AppendExecutionProvider_CUDA(0)),
        };
        foreach (var (name, id, attach) in candidates)
        {
            if (only is not null && !string.Equals(only, name, StringComparison.OrdinalIgnoreCase)) continue;
            if (!available.Contains(id))
            {
                notes.Add($"{name}: not in this ONNX Runtime build");
                continue;
            }
            var options = NewOptions(threads, spinning);
            try
            {
                attach(options);
                return (options, new ProviderChoice(name, notes));
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or OnnxRuntimeException or DllNotFoundException)
            {
                var missing = name == "CUDA" && OperatingSystem.IsLinux() ? MissingCudaLibraries() : [];
                notes.Add($"{name}: {ex.Message.Split('\n')[0]}{(missing.Count > 0 ? $" (not found: {string.Join(", ", missing)})" : "")}");
                options.Dispose();
            }
        }
        return (NewOptions(threads, spinning), new ProviderChoice("CPU", notes));
    }

    /// <summary>The CUDA runtime ONNX Runtime 1.31's CUDA provider is built against (CUDA 13).</summary>
    public const string CudaRuntime = "libcudart.so.13";

    /// <summary>The libraries ONNX Runtime 1.31's CUDA provider loads (CUDA 13, cuDNN 9) that this machine's loader cannot find.</summary>
    public static IReadOnlyList<string> MissingCudaLibraries() =>
        [.. new[] { CudaRuntime, "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9" }.Where(library =>
        {
            if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(library, out var handle)) return true;
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
            return false;
        })];

    /// <summary>The provider's own device memory, for tensors that stay there between runs; null where that is host memory.</summary>
    public static OrtMemoryInfo? DeviceMemory(string provider) => provider == "CUDA"
        ? new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default)
        : null;

    private static SessionOptions NewOptions(int threads, bool spinning)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads > 0) options.IntraOpNumThreads = threads;
        if (!spinning) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }
}
