using System.Security.Cryptography;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export;

/// <summary>Writes one split's data file from the parts workers built, appended in sample order.</summary>
public abstract class ExportWriter : IAsyncDisposable
{
    public abstract string FileName { get; }

    /// <summary>Size and hash when the writer computed them while writing; null means the manifest reads the file back.</summary>
    public virtual ManifestFile? Description => null;

    public abstract Task AppendAsync(IExportPart part, CancellationToken ct);

    /// <summary>Flushes to disk: a file that is not durable must not be moved into place as complete.</summary>
    public abstract Task CompleteAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    public static ExportWriter Create(ExportFormat format, string folder, string split) => format.Describe().CreateWriter(folder, split);

    /// <summary>An empty part of the kind <paramref name="format"/>'s writer appends.</summary>
    public static IExportPart CreatePart(ExportFormat format) => format.Describe().CreatePart();
}

/// <summary>
/// Appends formatted lines unbuffered (parts are a megabyte or more), hashes them on the way for the manifest and starts
/// their writeback, so the final flush to disk only waits for the last few.
/// </summary>
public sealed class JsonLinesWriter : ExportWriter
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private ManifestFile? _description;
    private bool _writeback = true;

    public JsonLinesWriter(string folder, string split)
    {
        FileName = split + ".jsonl";
        _file = new FileStream(Path.Combine(folder, FileName), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
    }

    public override string FileName { get; }

    public override ManifestFile? Description => _description;

    public override async Task AppendAsync(IExportPart part, CancellationToken ct)
    {
        var lines = ((JsonLinesPart)part).Lines;
        var offset = _file.Position;
        // The file is opened for synchronous IO, so the write runs on the thread pool while the lines are hashed here.
        var write = _file.WriteAsync(lines, ct);
        _hash.AppendData(lines.Span);
        await write;
        _writeback = _writeback && Writeback.Start(_file.SafeFileHandle, offset, lines.Length);
    }

    public override Task CompleteAsync(CancellationToken ct)
    {
        _file.Flush(flushToDisk: true);
        _description = new ManifestFile(FileName, _file.Length, Convert.ToHexStringLower(_hash.GetHashAndReset()));
        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync();
        _hash.Dispose();
    }
}
