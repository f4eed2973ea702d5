using System.Text.Json;

namespace BpoStudio.Core.Import;

/// <summary>
/// Reads a top-level JSON array element by element with Utf8JsonReader over a buffer that grows only to the largest
/// element. Unlike JsonSerializer.DeserializeAsyncEnumerable, every complete element before a syntax error is kept:
/// that one reads ahead a buffer at a time and loses the good elements buffered with the bad one.
/// </summary>
internal sealed class JsonArrayScanner(Stream stream)
{
    private byte[] _buffer = new byte[1 << 16];
    private int _length;
    private bool _final, _started, _finished;
    private JsonReaderState _state;
    private long _linesBefore;

    public int Index { get; private set; }

    /// <summary>The next element, null at the end; throws <see cref="JsonArrayException"/> with the line of a syntax error.</summary>
    public async Task<JsonElement?> NextAsync(CancellationToken ct)
    {
        while (!_finished)
        {
            if (TryTake(out var element)) return element;
            if (_final) throw new JsonArrayException(_linesBefore + 1, "the file ends before the array is closed");
            if (_length == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            var read = await stream.ReadAsync(_buffer.AsMemory(_length), ct);
            if (read == 0) _final = true;
            _length += read;
        }
        return null;
    }

    private bool TryTake(out JsonElement element)
    {
        element = default;
        var data = _buffer.AsSpan(0, _length);
        var reader = new Utf8JsonReader(data, _final, _state);
        try
        {
            if (!_started)
            {
                if (!reader.Read()) return false;
                if (reader.TokenType != JsonTokenType.StartArray) throw new JsonArrayException(1, "the file does not start with a JSON array");
                _started = true;
                Consume(ref reader);
                return TryTake(out element);
            }
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                _finished = true;
                return false;
            }
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()) return false;
            using (var document = JsonDocument.Parse(data[start..(int)reader.BytesConsumed].ToArray()))
                element = document.RootElement.Clone();
            Consume(ref reader);
            Index++;
            return true;
        }
        catch (JsonException ex) when (ex is not JsonArrayException)
        {
            // The reader state carries the line count across buffers, so this line is already absolute.
            throw new JsonArrayException((ex.LineNumber ?? 0) + 1, ex.Message.Split(". ")[0]);
        }
    }

    // Drop what the reader has consumed and keep its state, so the next read continues mid-array.
    private void Consume(ref Utf8JsonReader reader)
    {
        var consumed = (int)reader.BytesConsumed;
        _linesBefore += _buffer.AsSpan(0, consumed).Count((byte)'\n');
        _state = reader.CurrentState;
        Buffer.BlockCopy(_buffer, consumed, _buffer, 0, _length - consumed);
        _length -= consumed;
    }
}

internal sealed class JsonArrayException(long line, string reason) : JsonException(reason)
{
    public long Line { get; } = line;
}
