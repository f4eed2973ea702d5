using System.Text.Json;

namespace BpoStudio.Core.Import;

/// <summary>One element of the array: its value, or why it was rejected; <see cref="Line"/> is where it starts.</summary>
internal readonly record struct ScannedElement(JsonElement? Element, string? Problem, long Line);

/// <summary>
/// Reads a top-level JSON array element by element over a buffer that grows only to the largest element. The array's
/// own punctuation is scanned here and each element is parsed alone, so an element that is not valid UTF-8, nests too
/// deep or breaks the syntax inside its own brackets is rejected by itself and the elements after it are still read.
/// Only damage to the array itself (an unbalanced bracket, a missing comma) ends the reading.
/// </summary>
internal sealed class JsonArrayScanner(Stream stream)
{
    private static readonly JsonDocumentOptions Parsing = new() { MaxDepth = RecordText.MaxDepth };
    private byte[] _buffer = new byte[1 << 16];
    private int _length, _position;
    private bool _final, _started, _finished;
    private long _line = 1;

    public int Index { get; private set; }

    /// <summary>The next element, null at the end; throws <see cref="JsonArrayException"/> where the array itself is broken.</summary>
    public async Task<ScannedElement?> NextAsync(CancellationToken ct)
    {
        while (!_finished)
        {
            var step = TryStep();
            if (step is { } element) return element;
            if (_finished) break;
            if (_final) throw new JsonArrayException(_line, "the file ends before the array is closed");
            await FillAsync(ct);
        }
        return null;
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_position > 0)
        {
            Buffer.BlockCopy(_buffer, _position, _buffer, 0, _length - _position);
            _length -= _position;
            _position = 0;
        }
        if (_length == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = await stream.ReadAsync(_buffer.AsMemory(_length), ct);
        if (read == 0) _final = true;
        _length += read;
    }

    // Null when more bytes are needed (or the array closed).
    private ScannedElement? TryStep()
    {
        var data = _buffer.AsSpan(0, _length);
        var at = SkipWhitespace(data, _position);
        if (at == data.Length) return null;
        if (!_started)
        {
            if (at + 3 <= data.Length && data[at] == 0xEF && data[at + 1] == 0xBB && data[at + 2] == 0xBF) at = SkipWhitespace(data, at + 3);
            if (at == data.Length) return null;
            if (data[at] != '[') throw new JsonArrayException(_line, "the file does not start with a JSON array");
            _started = true;
            Advance(data, at + 1);
            return TryStep();
        }
        if (data[at] == ']') // an empty array, or a trailing comma
        {
            _finished = true;
            return null;
        }
        var end = ElementEnd(data, at);
        if (end < 0) return null;
        var after = SkipWhitespace(data, end);
        if (after == data.Length) return null;
        if (data[after] is not ((byte)',' or (byte)']'))
            throw new JsonArrayException(LineAt(data, after), $"expected ',' or ']' after record {Index}, found '{(char)data[after]}'");

        var line = LineAt(data, at);
        var element = Parse(data[at..end], line);
        _finished = data[after] == ']';
        Advance(data, after + 1);
        Index++;
        return element;
    }

    private static ScannedElement Parse(ReadOnlySpan<byte> bytes, long line)
    {
        if (RecordText.Utf8Problem(bytes) is { } utf8) return new(null, utf8, line);
        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray(), Parsing);
            return new(document.RootElement.Clone(), null, line);
        }
        catch (JsonException ex)
        {
            return new(null, RecordText.JsonProblem(ex), line);
        }
    }

    /// <summary>
    /// Where the element starting at <paramref name="start"/> ends, by brackets and strings alone (no validation), or -1
    /// when the buffer ends first. A closing bracket that does not match its opener is damage to the array itself.
    /// </summary>
    private int ElementEnd(ReadOnlySpan<byte> data, int start)
    {
        var closers = new Stack<byte>();
        var inString = false;
        for (var i = start; i < data.Length; i++)
        {
            var b = data[i];
            if (inString)
            {
                if (b == '\\') i++;
                else if (b == '"')
                {
                    inString = false;
                    if (closers.Count == 0) return i + 1;
                }
                continue;
            }
            switch (b)
            {
                case (byte)'"': inString = true; break;
                case (byte)'{': closers.Push((byte)'}'); break;
                case (byte)'[': closers.Push((byte)']'); break;
                case (byte)'}' or (byte)']':
                    if (closers.Count == 0) return i; // the end of a bare value, e.g. 3]
                    if (closers.Pop() != b) throw new JsonArrayException(LineAt(data, i), $"'{(char)b}' does not close what record {Index} opened");
                    if (closers.Count == 0) return i + 1;
                    break;
                case (byte)',' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    if (closers.Count == 0) return i;
                    break;
            }
        }
        return _final && closers.Count == 0 && !inString ? data.Length : -1;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> data, int at)
    {
        while (at < data.Length && data[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
        return at;
    }

    private long LineAt(ReadOnlySpan<byte> data, int at) => _line + data[_position..at].Count((byte)'\n');

    private void Advance(ReadOnlySpan<byte> data, int to)
    {
        _line += data[_position..to].Count((byte)'\n');
        _position = to;
    }
}

internal sealed class JsonArrayException(long line, string reason) : JsonException(reason)
{
    public long Line { get; } = line;
}
