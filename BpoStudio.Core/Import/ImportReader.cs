using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace BpoStudio.Core.Import;

/// <summary>
/// Streams a JSON array, a JSONL file or a Parquet file (RLAIF-V shards) record by record with bounded memory. A bad
/// JSONL line or array element is reported and skipped; damage to the array's own brackets cannot be resynchronised,
/// so the rest of it is reported as one problem; Parquet is read one row group at a time.
/// </summary>
public static class ImportReader
{
    public static async Task<(bool IsArray, ImportFormat Format)> DetectAsync(string path, ImportFormat? forced, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        if (ParquetRows.IsParquet(stream))
        {
            await foreach (var row in ParquetRows.ReadAsync(stream, ct))
                return (false, forced ?? RecordMappers.Detect(row.Element));
            throw new InvalidDataException($"{System.IO.Path.GetFileName(path)} has no rows.");
        }
        var first = FirstNonWhitespace(stream);
        if (first is not ('[' or '{')) throw new InvalidDataException($"{System.IO.Path.GetFileName(path)} is neither a JSON array, JSON lines nor Parquet.");
        if (forced is { } format) return (first == '[', format);
        stream.Position = 0;
        await foreach (var record in ReadRawAsync(stream, first == '[', ct))
            if (record.Element is { } element) return (first == '[', RecordMappers.Detect(element));
        throw new InvalidDataException($"{System.IO.Path.GetFileName(path)} has no records.");
    }

    public static async IAsyncEnumerable<ReadItem> ReadAsync(string path, bool isArray, ImportFormat format, [EnumeratorCancellation] CancellationToken ct, FieldMapping? mapping = null)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await foreach (var raw in ReadRawAsync(stream, isArray, ct))
        {
            if (raw.Element is not { } element)
            {
                yield return new ReadItem([], new RecordProblem(raw.Where, raw.Problem!), stream.Position);
                continue;
            }
            ReadItem item;
            try
            {
                item = new ReadItem(RecordMappers.Map(format, element, raw.FallbackId, mapping), null, stream.Position);
            }
            catch (RecordException ex)
            {
                item = new ReadItem([], new RecordProblem(WithId(raw.Where, element), ex.Message), stream.Position);
            }
            catch (InvalidOperationException ex) when (RecordText.TextProblem(ex) is { } problem)
            {
                item = new ReadItem([], new RecordProblem(WithId(raw.Where, element), problem), stream.Position);
            }
            yield return item;
        }
    }

    /// <summary>A rejected record named by its own id too, when it has a readable one.</summary>
    private static string WithId(string where, JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty("id", out var id)) return where;
        var text = id.ValueKind switch { JsonValueKind.String => id.ToString(), JsonValueKind.Number => id.GetRawText(), _ => null };
        return text is null || text.Length > 100 ? where : $"{where}, id {text}";
    }

    private sealed record Raw(JsonElement? Element, string Where, string FallbackId, string? Problem);

    private static async IAsyncEnumerable<Raw> ReadRawAsync(Stream stream, bool isArray, [EnumeratorCancellation] CancellationToken ct)
    {
        if (ParquetRows.IsParquet(stream))
        {
            await foreach (var row in ParquetRows.ReadAsync(stream, ct))
                yield return new Raw(row.Element, $"row {row.Index}", $"#{row.Index}", null);
            yield break;
        }
        if (isArray)
        {
            var scanner = new JsonArrayScanner(stream);
            while (true)
            {
                ScannedElement? scanned;
                Raw? failure = null;
                try
                {
                    scanned = await scanner.NextAsync(ct);
                }
                catch (JsonArrayException ex)
                {
                    scanned = null;
                    failure = new Raw(null, $"record {scanner.Index + 1} (line {ex.Line})", "", $"the JSON is malformed from here on ({ex.Message}); this and any later records were not read");
                }
                if (failure is not null)
                {
                    yield return failure;
                    yield break;
                }
                if (scanned is not { } element) yield break;
                var index = scanner.Index - 1;
                yield return element.Problem is null
                    // People count records from 1; the fallback id stays 0-based, as records imported before were named.
                    ? new Raw(element.Element, $"record {index + 1}", $"#{index}", null)
                    : new Raw(null, $"record {index + 1} (line {element.Line})", "", element.Problem);
            }
        }

        await foreach (var (line, bytes, tooLong) in JsonLines.ReadAsync(stream, ct))
        {
            JsonElement? element = null;
            var problem = tooLong ? $"the record is longer than {JsonLines.MaxLineBytes / (1024 * 1024)} MB; refused without reading it whole" : RecordText.Utf8Problem(bytes.Span);
            if (problem is null)
                try
                {
                    using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = RecordText.MaxDepth });
                    element = document.RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    problem = RecordText.JsonProblem(ex);
                }
            yield return new Raw(element, $"line {line}", $"line-{line}", problem);
        }
    }

    private static char FirstNonWhitespace(Stream stream)
    {
        int b;
        do b = stream.ReadByte(); while (b is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF);
        return b < 0 ? '\0' : (char)b;
    }
}
