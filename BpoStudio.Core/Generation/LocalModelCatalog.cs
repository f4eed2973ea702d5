using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Generation;

/// <summary>Configuration section <c>Generation:Local</c>: which model folders (under the models directory) to use.</summary>
public sealed class LocalModelOptions
{
    public const string Section = "Generation:Local";

    /// <summary>Defaults to the data folder's <c>models</c>.</summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>The vision-language model that answers weakened images (a SmolVLM-style folder).</summary>
    public string? VisionModel { get; set; }

    /// <summary>A text model for error injection and paraphrase when no OpenAI-compatible server is configured.</summary>
    public string? TextModel { get; set; }

    public int Threads { get; set; }

    /// <summary>Sequences decoded together by generation jobs; 0 chooses from the model's size and free memory (<see cref="BatchSizing"/>). The Models page's try-it box is always 1.</summary>
    public int BatchSize { get; set; }

    /// <summary>Where the KV cache stays between steps; unset: the GPU's memory on CUDA, host memory otherwise. <c>Host</c> is the fallback should a GPU driver misbehave with device tensors.</summary>
    public KvCacheHome? KvCache { get; set; }
}

public sealed record LocalModelInfo(string Name, string Folder, ModelManifest? Manifest, string? Problem);

/// <summary>The model folders found, each opened once on first use and kept (sessions are thread-safe).</summary>
public sealed class LocalModelCatalog(IOptions<LocalModelOptions> options, DataPaths paths) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<LocalModel>> _open = new(StringComparer.Ordinal);

    public string Directory => Path.GetFullPath(options.Value.ModelsDirectory ?? paths.Models);
    public string? VisionModel => options.Value.VisionModel;
    public string? TextModel => options.Value.TextModel;

    public IReadOnlyList<LocalModelInfo> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return System.IO.Directory.EnumerateDirectories(Directory).Order(StringComparer.Ordinal).Select(folder =>
        {
            try
            {
                return new LocalModelInfo(Path.GetFileName(folder), folder, ModelManifest.Load(folder), null);
            }
            catch (ModelLoadException ex)
            {
                return new LocalModelInfo(Path.GetFileName(folder), folder, null, ex.Message);
            }
        }).ToList();
    }

    public LocalModel Open(string name)
    {
        if (name.Contains('/') || name.Contains('\\') || name is "." or "..") throw new InvalidInputError($"'{name}' is not a model folder name.");
        var lazy = _open.GetOrAdd(name, n => new Lazy<LocalModel>(() => LocalModel.Open(Path.Combine(Directory, n), options.Value.Threads, options.Value.KvCache)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _open.TryRemove(name, out _); // a fixed folder can be tried again
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var model in _open.Values.Where(l => l.IsValueCreated)) model.Value.Dispose();
    }
}
