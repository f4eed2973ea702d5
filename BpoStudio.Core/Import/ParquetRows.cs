using System.Runtime.CompilerServices;
using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace BpoStudio.Core.Import;

/// <summary>
/// Parquet rows as JSON records, one row group at a time, so the record mappers read them like JSON: a struct becomes
/// an object and binary (an image's <c>bytes</c>) a base64 string.
/// </summary>
internal static class ParquetRows
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    public static bool IsParquet(Stream stream)
    {
        Span<byte> head = stackalloc byte[4];
        var position = stream.Position;
        stream.Position = 0;
        var read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = position;
        return read == 4 && head.SequenceEqual(Magic);
    }

    public static async IAsyncEnumerable<(JsonElement Element, long Index)> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        int groups;
        await using (var reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true, cancellationToken: ct))
            groups = reader.RowGroupCount;
        long index = 0;
        for (var group = 0; group < groups; group++)
        {
            stream.Position = 0;
            var rows = await ParquetSerializer.DeserializeUntypedAsync(stream, null, group, ct);
            foreach (var row in rows.Data)
                yield return (JsonSerializer.SerializeToElement(row), index++);
        }
    }
}
