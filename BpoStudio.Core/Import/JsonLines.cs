using System.Runtime.CompilerServices;

namespace BpoStudio.Core.Import;

/// <summary>
/// The non-blank lines of a JSON lines file as raw bytes, so invalid UTF-8 is reported where it is instead of being
/// silently replaced by a text reader. A UTF-8 byte order mark and CR before LF are dropped.
/// </summary>
internal static class JsonLines
{
    public static async IAsyncEnumerable<(long Line, ReadOnlyMemory<byte> Bytes)> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        int length = 0, start = 0;
        long line = 0;
        var final = false;
        var first = true;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, length - start);
            if (newline < 0 && !final)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, length - start);
                    (length, start) = (length - start, 0);
                }
                if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
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
            if (!buffer.AsSpan(from, to - from).Trim(" \t"u8).IsEmpty) yield return (line, buffer.AsMemory(from, to - from).ToArray());
            start = newline < 0 ? length : newline + 1;
            if (newline < 0) yield break;
        }
    }
}
