using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export;

/// <summary>
/// What part of one chunk of samples becomes in one split's data file. Parts are built on worker threads, in
/// parallel, and handed to the split's <see cref="ExportWriter"/> in sample order.
/// </summary>
public interface IExportPart : IDisposable
{
    void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image);

    /// <summary>Big enough to hand over now, so memory stays bounded however large a chunk is.</summary>
    bool IsFull { get; }

    bool IsEmpty { get; }
}

/// <summary>JSON lines formatted into a pooled buffer, which the file writer hashes and appends as they are.</summary>
public abstract class JsonLinesPart : IExportPart
{
    private const int FullBytes = 1 << 20;
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private static readonly ConcurrentBag<ArrayBufferWriter<byte>> Pool = [];
    private ArrayBufferWriter<byte>? _buffer;

    protected JsonLinesPart()
    {
        _buffer = Pool.TryTake(out var pooled) ? pooled : new ArrayBufferWriter<byte>(2 * FullBytes);
        Json = new Utf8JsonWriter(_buffer, Options);
    }

    protected Utf8JsonWriter Json { get; }

    /// <summary>What the writer appends: the lines as written, unless a format orders them otherwise.</summary>
    public virtual ReadOnlyMemory<byte> Lines => _buffer!.WrittenMemory;

    /// <summary>Where the next line starts in the buffer, for formats that reorder whole lines.</summary>
    protected int WrittenCount => _buffer!.WrittenCount;
    public bool IsFull => _buffer!.WrittenCount >= FullBytes;
    public bool IsEmpty => _buffer!.WrittenCount == 0;

    public abstract void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image);

    /// <summary>Bytes straight into the part (the JSON writer holds nothing unflushed between records).</summary>
    protected void WriteRaw(ReadOnlySpan<byte> utf8)
    {
        utf8.CopyTo(_buffer!.GetSpan(utf8.Length));
        _buffer.Advance(utf8.Length);
    }

    /// <summary>
    /// A JSON string, escaped exactly as the JSON writer escapes it (the same encoder decides): most texts need no
    /// escaping and are copied as they are, the rest go through the writer.
    /// </summary>
    protected void WriteString(ReadOnlySpan<byte> utf8)
    {
        if (Options.Encoder!.FindFirstCharacterToEncodeUtf8(utf8) >= 0)
        {
            Json.WriteStringValue(utf8);
            Json.Flush();
            Json.Reset();
            return;
        }
        var target = _buffer!.GetSpan(utf8.Length + 2);
        target[0] = (byte)'"';
        utf8.CopyTo(target[1..]);
        target[utf8.Length + 1] = (byte)'"';
        _buffer.Advance(utf8.Length + 2);
    }

    protected void EndLine()
    {
        Json.Flush();
        Json.Reset();
        _buffer!.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

    // Buffers go back to a small pool: a fresh megabyte-sized array per part would churn the large-object heap.
    public void Dispose()
    {
        Json.Dispose();
        if (_buffer is not { } buffer) return;
        _buffer = null;
        buffer.ResetWrittenCount();
        if (buffer.Capacity <= 4 * FullBytes && Pool.Count < 2 * Environment.ProcessorCount + 4) Pool.Add(buffer);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Records of a JSON array (see <see cref="JsonArrayWriter"/>): each after a comma and a line break.</summary>
public abstract class JsonArrayPart : JsonLinesPart
{
    protected void BeginRecord() => WriteRaw(",\n"u8);

    protected void EndRecord()
    {
        Json.Flush();
        Json.Reset();
    }
}

/// <summary>One line per pair.</summary>
public abstract class PairLinesPart : JsonLinesPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        foreach (var pair in pairs)
        {
            WriteRecord(Json, sample, pair, image);
            EndLine();
        }
    }

    protected abstract void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image);

    /// <summary>The <c>images</c> column (the images' paths in order, or empty for a text-only record) and the record's end.</summary>
    protected static void EndWithImages(Utf8JsonWriter json, IReadOnlyList<ExportedImage> images)
    {
        json.WriteStartArray(Names.Images);
        foreach (var image in images) json.WriteStringValue(image.RelativePath);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}

// Encoded once: escaping and transcoding the same names on every record costs more than the texts.
internal static class Names
{
    public static readonly JsonEncodedText Gpt = JsonEncodedText.Encode("gpt");
    public static readonly JsonEncodedText Human = JsonEncodedText.Encode("human");
    public static readonly JsonEncodedText NonPreferredOutput = JsonEncodedText.Encode("non_preferred_output");
    public static readonly JsonEncodedText PreferredOutput = JsonEncodedText.Encode("preferred_output");
    public static readonly JsonEncodedText Assistant = JsonEncodedText.Encode("assistant");
    public static readonly JsonEncodedText Chosen = JsonEncodedText.Encode("chosen");
    public static readonly JsonEncodedText Completions = JsonEncodedText.Encode("completions");
    public static readonly JsonEncodedText Content = JsonEncodedText.Encode("content");
    public static readonly JsonEncodedText Conversations = JsonEncodedText.Encode("conversations");
    public static readonly JsonEncodedText From = JsonEncodedText.Encode("from");
    public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    public static readonly JsonEncodedText Image = JsonEncodedText.Encode("image");
    public static readonly JsonEncodedText ImageUrl = JsonEncodedText.Encode("image_url");
    public static readonly JsonEncodedText Images = JsonEncodedText.Encode("images");
    public static readonly JsonEncodedText Input = JsonEncodedText.Encode("input");
    public static readonly JsonEncodedText Messages = JsonEncodedText.Encode("messages");
    public static readonly JsonEncodedText Prompt = JsonEncodedText.Encode("prompt");
    public static readonly JsonEncodedText Rejected = JsonEncodedText.Encode("rejected");
    public static readonly JsonEncodedText Response = JsonEncodedText.Encode("response");
    public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
    public static readonly JsonEncodedText Score = JsonEncodedText.Encode("score");
    public static readonly JsonEncodedText Text = JsonEncodedText.Encode("text");
    public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    public static readonly JsonEncodedText Url = JsonEncodedText.Encode("url");
    public static readonly JsonEncodedText User = JsonEncodedText.Encode("user");
    public static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
}
