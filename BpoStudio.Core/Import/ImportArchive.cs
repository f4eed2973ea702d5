using System.Formats.Tar;
using System.IO.Compression;
using BpoStudio.Core.Storage;

namespace BpoStudio.Core.Import;

/// <summary>An unpacked archive: its one data file, and the folder its image paths are relative to.</summary>
public sealed record UnpackedArchive(string DataFile, string ImageRoot, int Entries, long Bytes);

/// <summary>
/// A .zip, .tar or .tar.gz holding a data file and its images, for users who have only a browser. Entries are streamed
/// to disk one at a time under limits on total size, entry count and compression ratio, counted as the bytes are
/// written (a gzip stream declares no sizes, so a bomb is stopped by the bytes it has produced for the compressed bytes
/// read so far, not after it filled the disk), and within the disk's free space. An entry whose path would leave the
/// archive's folder (../, absolute paths, links) is refused, naming it. The image root is the archive's folder.
/// </summary>
public static class ImportArchive
{
    public const long MaxBytes = 4L * 1024 * 1024 * 1024;
    public const int MaxEntries = 2_000_000;
    /// <summary>An entry expanding more than this many times its compressed size is treated as a zip bomb.</summary>
    public const int MaxRatio = 200;

    private static readonly string[] DataExtensions = [".json", ".jsonl", ".parquet"];

    /// <summary>Compressed bytes below which the ratio is not judged yet: the first quarter megabyte may expand freely.</summary>
    private const long RatioFloorBytes = 256 * 1024;

    /// <summary>Room left on the disk after an unpack, so the database and the images can still be written.</summary>
    private const long SpareBytes = 256L * 1024 * 1024;

    /// <summary>What a file costs the disk besides its bytes (a block), however small it is.</summary>
    private const long FileOverheadBytes = 4096;

    public static bool IsArchive(string path) =>
        path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    public static async Task<UnpackedArchive> UnpackAsync(string archive, string into, CancellationToken ct = default)
    {
        Directory.CreateDirectory(into);
        var (entries, bytes) = archive.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
            ? await UnzipAsync(archive, into, ct)
            : await UntarAsync(archive, into, ct);
        var data = Directory.EnumerateFiles(into, "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 })
            .Where(f => DataExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => f.Count(c => c == Path.DirectorySeparatorChar)).ThenBy(f => f, StringComparer.Ordinal).ToList();
        if (data.Count == 0) throw new InvalidDataException($"{Path.GetFileName(archive)} holds no .json, .jsonl or .parquet file next to its images.");
        var shallowest = data.Where(f => f.Count(c => c == Path.DirectorySeparatorChar) == data[0].Count(c => c == Path.DirectorySeparatorChar)).ToList();
        if (shallowest.Count > 1)
            throw new InvalidDataException($"{Path.GetFileName(archive)} holds several data files ({string.Join(", ", shallowest.Select(Path.GetFileName))}); put one in each archive.");
        // Image paths in the data file are relative to the folder it sits in.
        return new UnpackedArchive(data[0], Path.GetDirectoryName(data[0])!, entries, bytes);
    }

    private static async Task<(int, long)> UnzipAsync(string archive, string into, CancellationToken ct)
    {
        using var zip = ZipFile.OpenRead(archive);
        if (zip.Entries.Count > MaxEntries) throw new InvalidDataException($"The archive has {zip.Entries.Count:N0} entries; the limit is {MaxEntries:N0}.");
        var declared = zip.Entries.Sum(e => e.Length);
        if (declared > MaxBytes) throw new InvalidDataException($"The archive unpacks to {declared:N0} bytes, more than {MaxBytes / (1L << 30)} GB.");
        var free = FreeBytes(into);
        declared += zip.Entries.Count * FileOverheadBytes; // 200,000 one-byte entries take 800 MB of blocks, not 200 KB
        if (declared > free) throw new InvalidDataException($"The archive unpacks to {declared / 1048576.0:N0} MB, but {into} has {free / 1048576.0:N0} MB free (keeping {SpareBytes / 1048576} MB spare); free space or use an allowed server folder.");
        long total = 0;
        var entries = 0;
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith('/')) continue; // a folder
            var target = Target(into, entry.FullName);
            if (entry.CompressedLength > 0 && entry.Length / entry.CompressedLength > MaxRatio)
                throw new InvalidDataException($"Entry '{entry.FullName}' expands {entry.Length / entry.CompressedLength:N0} times ({entry.Length:N0} bytes); more than {MaxRatio} times is refused as a zip bomb.");
            total += entry.Length;
            if (total > MaxBytes) throw new InvalidDataException($"The archive unpacks to more than {MaxBytes / (1L << 30)} GB.");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var source = entry.Open();
            await CopyBoundedAsync(source, target, entry.Length, entry.FullName, ct);
            entries++;
        }
        return (entries, total);
    }

    private static async Task<(int, long)> UntarAsync(string archive, string into, CancellationToken ct)
    {
        await using var file = File.OpenRead(archive);
        await using Stream stream = archive.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) ? file : new GZipStream(file, CompressionMode.Decompress);
        await using var tar = new TarReader(stream);
        var budget = new WriteBudget(() => file.Position, FreeBytes(into), Path.GetFileName(archive));
        long total = 0;
        var entries = 0;
        while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.Directory) continue;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                throw new InvalidDataException($"Entry '{entry.Name}' is a {entry.EntryType}; an import archive holds files and folders only (no links).");
            if (++entries > MaxEntries) throw new InvalidDataException($"The archive has more than {MaxEntries:N0} entries.");
            var target = Target(into, entry.Name);
            total += entry.Length;
            if (total > MaxBytes) throw new InvalidDataException($"The archive unpacks to more than {MaxBytes / (1L << 30)} GB.");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (entry.DataStream is { } data) await CopyBoundedAsync(data, target, entry.Length, entry.Name, ct, budget);
            else await File.WriteAllBytesAsync(target, [], ct);
        }
        return (entries, total);
    }

    // The declared length is checked while copying too: a lying header cannot write more than it announced.
    private static async Task CopyBoundedAsync(Stream source, string target, long declared, string name, CancellationToken ct, WriteBudget? budget = null)
    {
        await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long written = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, ct)) > 0)
        {
            written += read;
            if (written > declared) throw new InvalidDataException($"Entry '{name}' holds more than the {declared:N0} bytes it declares.");
            budget?.Spend(read, name);
            await output.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }

    private static long FreeBytes(string folder)
    {
        try
        {
            return Math.Max(0, new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace - SpareBytes);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return long.MaxValue; // a file system that cannot say: the size limits still hold
        }
    }

    /// <summary>Bytes written so far against the limits: total, free space, and the ratio to the compressed bytes read so far.</summary>
    private sealed class WriteBudget(Func<long> compressedRead, long free, string archive)
    {
        private long _written;

        public void Spend(int bytes, string entry)
        {
            _written += bytes;
            if (_written > MaxBytes) throw new InvalidDataException($"{archive} unpacks to more than {MaxBytes / (1L << 30)} GB; refused at entry '{entry}'.");
            if (_written > free) throw new InvalidDataException($"{archive} would fill the disk: {_written / 1048576.0:N0} MB unpacked at entry '{entry}', {free / 1048576.0:N0} MB free; refused.");
            var compressed = Math.Max(compressedRead(), RatioFloorBytes);
            if (_written > MaxRatio * compressed)
                throw new InvalidDataException($"{archive} expands more than {MaxRatio} times ({_written:N0} bytes from {compressed:N0} compressed, at entry '{entry}'); refused as a bomb.");
        }
    }

    private static string Target(string into, string entryName)
    {
        if (!SafePath.TryResolve(into, entryName, out var full, out var problem, "archive entry"))
            throw new InvalidDataException($"Entry '{entryName}' would be written outside the archive's folder ({problem}); the archive is refused.");
        return full;
    }
}
