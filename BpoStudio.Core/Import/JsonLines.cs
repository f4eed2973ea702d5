using System.Runtime.CompilerServices;

namespace BpoStudio.Core.Import;

/// <summary>
/// The non-blank lines of a JSON lines file as raw bytes, so invalid UTF-8 is reported where it is instead of being
/// silently replaced by a text reader. A UTF-8 byte order mark and CR before LF are dropped. A line longer than
/// <see cref="MaxLineBytes"/> is not held: its bytes are skipped to the next newline and it comes back empty with
/// <c>TooLong</c> set (a 200 MB one-line record had taken the reader to 2 GB of memory).
/// </summary>
internal static class JsonLines
{
    /// <summary>Larger than any record the formats allow (texts are capped at 100,000 characters; embedded images at the image limits).</summary>
    public const int MaxLineBytes = 64 * 1024 * 1024;

    public static async IAsyncEnumerable<(long Line, ReadOnlyMemory<byte> Bytes, bool TooLong)> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct, int maxLineBytes = MaxLineBytes)
    {
        var buffer = new byte[1 << 16];
        int length = 0, start = 0;
        long line = 0;
        var final = false;
        var first = true;
        var skipping = false; // inside a line over the limit: its bytes are dropped up to its newline
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, length - start);
            if (skipping)
            {
                if (newline < 0 && !final)
                {
                    (length, start) = (0, 0);
                    var more = await stream.ReadAsync(buffer, ct);
                    if (more == 0) final = true;
                    length = more;
                    continue;
                }
                skipping = false;
                yield return (line, ReadOnlyMemory<byte>.Empty, true);
                if (newline < 0) yield break;
                start = newline + 1;
                continue;
            }
            if (newline < 0 && !final)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, length - start);
                    (length, start) = (length - start, 0);
                }
                if (length >= maxLineBytes)
                {
                    (line, skipping, first, length, start) = (line + 1, true, false, 0, 0);
                    continue;
                }
                if (length == buffer.Length) Array.Resize(ref buffer, Math.Min(buffer.Length * 2, maxLineBytes + 1));
                var read = await stream.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0) final = true;
                length += read;
                continue;
            }
            var end = newline < 0 ? length : newline;
            if (newline < 0 && start == end) yield break;
            line++;
            var from = start;
            if (first && end - from >= 3 && buffer[from] == 0xEF && buffer[from + 1] == 0xBB && buffer[from + 2] == 0xBF) from += 3;
            first = false;
            var to = end > from && buffer[end - 1] == '\r' ? end - 1 : end;
            if (to - from > maxLineBytes) yield return (line, ReadOnlyMemory<byte>.Empty, true);
            else if (!buffer.AsSpan(from, to - from).Trim(" \t"u8).IsEmpty) yield return (line, buffer.AsMemory(from, to - from).ToArray(), false);
            start = newline < 0 ? length : newline + 1;
            if (newline < 0) yield break;
        }
    }
}
