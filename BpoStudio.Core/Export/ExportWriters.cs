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
    public static IExportPart CreatePart(ExportOptions options, RatingScheme ratings) => options.Format.Describe().CreatePart(ratings, options);
}

/// <summary>
/// Appends formatted bytes unbuffered (parts are a megabyte or more), hashes them on the way for the manifest and starts
/// their writeback, so the final flush to disk only waits for the last few.
/// </summary>
public abstract class StreamingJsonWriter : ExportWriter
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private ManifestFile? _description;
    private bool _writeback = true;

    protected StreamingJsonWriter(string folder, string fileName)
    {
        FileName = fileName;
        _file = new FileStream(Path.Combine(folder, FileName), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
    }

    public override string FileName { get; }

    public override ManifestFile? Description => _description;

    protected async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        var offset = _file.Position;
        // The file is opened for synchronous IO, so the write runs on the thread pool while the lines are hashed here.
        var write = _file.WriteAsync(bytes, ct);
        _hash.AppendData(bytes.Span);
        await write;
        _writeback = _writeback && Writeback.Start(_file.SafeFileHandle, offset, bytes.Length);
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
        GC.SuppressFinalize(this);
    }
}

/// <summary>JSON lines: each part's lines appended as they are.</summary>
public sealed class JsonLinesWriter(string folder, string split) : StreamingJsonWriter(folder, split + ".jsonl")
{
    public override Task AppendAsync(IExportPart part, CancellationToken ct) => WriteAsync(((JsonLinesPart)part).Lines, ct);
}

/// <summary>
/// One JSON array for loaders that <c>json.load</c> a whole file. Parts write each record after a comma
/// (<see cref="JsonArrayPart"/>); the array's first record drops its comma, so records stream like lines.
/// </summary>
public sealed class JsonArrayWriter(string folder, string split) : StreamingJsonWriter(folder, split + ".json")
{
    private bool _started;

    public override async Task AppendAsync(IExportPart part, CancellationToken ct)
    {
        var records = ((JsonLinesPart)part).Lines;
        if (records.IsEmpty) return;
        if (!_started)
        {
            await WriteAsync("["u8.ToArray(), ct);
            records = records[1..];
            _started = true;
        }
        await WriteAsync(records, ct);
    }

    public override async Task CompleteAsync(CancellationToken ct)
    {
        await WriteAsync(_started ? "\n]\n"u8.ToArray() : "[]\n"u8.ToArray(), ct);
        await base.CompleteAsync(ct);
    }
}
