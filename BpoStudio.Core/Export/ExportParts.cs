using System.Buffers;
using System.Collections.Concurrent;
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

    public ReadOnlyMemory<byte> Lines => _buffer!.WrittenMemory;
    public bool IsFull => _buffer!.WrittenCount >= FullBytes;
    public bool IsEmpty => _buffer!.WrittenCount == 0;

    public abstract void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image);

    public static JsonLinesPart For(ExportFormat format) => format switch
    {
        ExportFormat.Trl => new TrlLines(),
        ExportFormat.LlamaFactory => new LlamaFactoryLines(),
        ExportFormat.OpenAi => new OpenAiLines(),
        ExportFormat.Bpo => new BpoLines(),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    protected void EndLine()
    {
        Json.Flush();
        Json.Reset();
        _buffer!.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

    protected static void TextPart(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString(Names.Type, Names.Text);
        json.WriteString(Names.Text, text);
        json.WriteEndObject();
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

    /// <summary>The <c>images</c> column (the image's path, or empty for a text-only record) and the record's end.</summary>
    protected static void EndWithImages(Utf8JsonWriter json, ExportedImage? image)
    {
        json.WriteStartArray(Names.Images);
        if (image is not null) json.WriteStringValue(image.RelativePath);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}

/// <summary>TRL DPOTrainer, conversational with an images column.</summary>
public sealed class TrlLines : PairLinesPart
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        json.WriteStartObject();
        Message(json, Names.Prompt, Names.User, image is not null, sample.Prompt);
        Message(json, Names.Chosen, Names.Assistant, false, pair.Chosen.Text);
        Message(json, Names.Rejected, Names.Assistant, false, pair.Rejected.Text);
        EndWithImages(json, image);
    }

    /// <summary>A one-message conversation under <paramref name="name"/>; the image part comes before the text.</summary>
    private static void Message(Utf8JsonWriter json, JsonEncodedText name, JsonEncodedText role, bool withImage, string text)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        json.WriteString(Names.Role, role);
        json.WriteStartArray(Names.Content);
        if (withImage)
        {
            json.WriteStartObject();
            json.WriteString(Names.Type, Names.Image);
            json.WriteEndObject();
        }
        TextPart(json, text);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
    }
}

/// <summary>LLaMA-Factory sharegpt with <c>ranking: true</c>.</summary>
public sealed class LlamaFactoryLines : PairLinesPart
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartArray(Names.Conversations);
        Turn(json, Names.Human, image is null ? sample.Prompt : LoaderRules.ImagePlaceholder + sample.Prompt);
        json.WriteEndArray();
        json.WritePropertyName(Names.Chosen);
        Turn(json, Names.Gpt, pair.Chosen.Text);
        json.WritePropertyName(Names.Rejected);
        Turn(json, Names.Gpt, pair.Rejected.Text);
        EndWithImages(json, image);
    }

    private static void Turn(Utf8JsonWriter json, JsonEncodedText from, string value)
    {
        json.WriteStartObject();
        json.WriteString(Names.From, from);
        json.WriteString(Names.Value, value);
        json.WriteEndObject();
    }
}

/// <summary>OpenAI preference fine-tuning: images inline as data URIs in the user message.</summary>
public sealed class OpenAiLines : PairLinesPart
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartObject(Names.Input);
        json.WriteStartArray(Names.Messages);
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.User);
        json.WriteStartArray(Names.Content);
        TextPart(json, sample.Prompt);
        if (image is not null)
        {
            json.WriteStartObject();
            json.WriteString(Names.Type, Names.ImageUrl);
            json.WriteStartObject(Names.ImageUrl);
            json.WriteString(Names.Url, $"data:{image.ContentType};base64,{Convert.ToBase64String(image.Bytes!)}");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        Output(json, Names.PreferredOutput, pair.Chosen.Text);
        Output(json, Names.NonPreferredOutput, pair.Rejected.Text);
        json.WriteEndObject();
    }

    private static void Output(Utf8JsonWriter json, JsonEncodedText name, string text)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.Assistant);
        json.WriteString(Names.Content, text);
        json.WriteEndObject();
        json.WriteEndArray();
    }
}

/// <summary>BPO: one record per sample, its answers as completions in source order; <c>image</c> is relative to images/.</summary>
public sealed class BpoLines : JsonLinesPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (pairs.Count == 0) return;
        var json = Json;
        var completions = pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId).OrderBy(t => t.ResponseId);
        json.WriteStartObject();
        json.WriteString(Names.Prompt, sample.OriginalPrompt ?? sample.Prompt);
        if (image is not null) json.WriteString(Names.Image, image.RelativePath[(ExportImages.Folder.Length + 1)..]);
        json.WriteStartArray(Names.Completions);
        foreach (var completion in completions)
        {
            json.WriteStartObject();
            json.WriteNumber(Names.Score, completion.Score ?? (completion.Kind.IsPositive() ? 1 : 0));
            json.WriteString(Names.Response, completion.Text);
            json.WriteString(Names.Type, completion.Kind.ToWire());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (!sample.IdGenerated && sample.RecordId is not null)
            json.WriteString(Names.Id, sample.Turn is > 0 ? $"{sample.RecordId}-{sample.Turn}" : sample.RecordId);
        json.WriteEndObject();
        EndLine();
    }
}

// Encoded once: escaping and transcoding the same names on every record costs more than the texts.
file static class Names
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
