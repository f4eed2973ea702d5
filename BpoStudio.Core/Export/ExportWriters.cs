using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export;

/// <summary>Writes one split's data file; receives every sample with the pairs that passed the loader rules.</summary>
public abstract class ExportWriter : IAsyncDisposable
{
    public abstract string FileName { get; }

    /// <summary>Size and hash when the writer computed them while writing; null means the manifest reads the file back.</summary>
    public virtual ManifestFile? Description => null;

    public abstract Task WriteAsync(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image, CancellationToken ct);

    /// <summary>Flushes to disk: a file that is not durable must not be moved into place as complete.</summary>
    public abstract Task CompleteAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    public static ExportWriter Create(ExportFormat format, string folder, string split) => format switch
    {
        ExportFormat.Trl => new TrlWriter(folder, split),
        ExportFormat.LlamaFactory => new LlamaFactoryWriter(folder, split),
        ExportFormat.OpenAi => new OpenAiWriter(folder, split),
        ExportFormat.Bpo => new BpoWriter(folder, split),
        ExportFormat.Parquet => new ParquetExportWriter(folder, split),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}

/// <summary>One JSON object per line, formatted into a reused buffer and written to the file a megabyte at a time.</summary>
public abstract class JsonLinesWriter : ExportWriter
{
    private const int ChunkBytes = 1 << 20;
    private readonly FileStream _file;
    private readonly ArrayBufferWriter<byte> _buffer = new(2 * ChunkBytes);
    private readonly Utf8JsonWriter _json;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _bytes;
    private ManifestFile? _description;

    protected JsonLinesWriter(string folder, string split)
    {
        FileName = split + ".jsonl";
        _file = new FileStream(Path.Combine(folder, FileName), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public override string FileName { get; }

    public override ManifestFile? Description => _description;

    public override async Task WriteAsync(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image, CancellationToken ct)
    {
        foreach (var record in Records(sample, pairs))
        {
            WriteRecord(_json, sample, record, image);
            _json.Flush();
            _json.Reset();
            _buffer.GetSpan(1)[0] = (byte)'\n';
            _buffer.Advance(1);
        }
        if (_buffer.WrittenCount >= ChunkBytes) await DrainAsync(ct);
    }

    /// <summary>The units written as lines: one per pair by default.</summary>
    protected virtual IEnumerable<IReadOnlyList<ExportPair>> Records(ExportSample sample, IReadOnlyList<ExportPair> pairs) => pairs.Select(p => (IReadOnlyList<ExportPair>)[p]);

    protected abstract void WriteRecord(Utf8JsonWriter json, ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image);

    public override async Task CompleteAsync(CancellationToken ct)
    {
        await DrainAsync(ct);
        _file.Flush(flushToDisk: true);
        _description = new ManifestFile(FileName, _bytes, Convert.ToHexStringLower(_hash.GetHashAndReset()));
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        _hash.AppendData(_buffer.WrittenSpan);
        _bytes += _buffer.WrittenCount;
        await _file.WriteAsync(_buffer.WrittenMemory, ct);
        _buffer.ResetWrittenCount();
    }

    public override async ValueTask DisposeAsync()
    {
        await _json.DisposeAsync();
        await _file.DisposeAsync();
        _hash.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static void TextPart(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type", "text");
        json.WriteString("text", text);
        json.WriteEndObject();
    }
}

/// <summary>TRL DPOTrainer, conversational with an images column.</summary>
public sealed class TrlWriter(string folder, string split) : JsonLinesWriter(folder, split)
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartArray("prompt");
        json.WriteStartObject();
        json.WriteString("role", "user");
        json.WriteStartArray("content");
        if (image is not null)
        {
            json.WriteStartObject();
            json.WriteString("type", "image");
            json.WriteEndObject();
        }
        TextPart(json, sample.Prompt);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        Answer(json, "chosen", pairs[0].Chosen.Text);
        Answer(json, "rejected", pairs[0].Rejected.Text);
        json.WriteStartArray("images");
        if (image is not null) json.WriteStringValue(image.RelativePath);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Answer(Utf8JsonWriter json, string name, string text)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        json.WriteString("role", "assistant");
        json.WriteStartArray("content");
        TextPart(json, text);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
    }
}

/// <summary>LLaMA-Factory sharegpt with <c>ranking: true</c>.</summary>
public sealed class LlamaFactoryWriter(string folder, string split) : JsonLinesWriter(folder, split)
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartArray("conversations");
        Turn(json, "human", image is null ? sample.Prompt : LoaderRules.ImagePlaceholder + sample.Prompt);
        json.WriteEndArray();
        json.WritePropertyName("chosen");
        Turn(json, "gpt", pairs[0].Chosen.Text);
        json.WritePropertyName("rejected");
        Turn(json, "gpt", pairs[0].Rejected.Text);
        json.WriteStartArray("images");
        if (image is not null) json.WriteStringValue(image.RelativePath);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Turn(Utf8JsonWriter json, string from, string value)
    {
        json.WriteStartObject();
        json.WriteString("from", from);
        json.WriteString("value", value);
        json.WriteEndObject();
    }
}

/// <summary>OpenAI preference fine-tuning: images inline as data URIs in the user message.</summary>
public sealed class OpenAiWriter(string folder, string split) : JsonLinesWriter(folder, split)
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartObject("input");
        json.WriteStartArray("messages");
        json.WriteStartObject();
        json.WriteString("role", "user");
        json.WriteStartArray("content");
        TextPart(json, sample.Prompt);
        if (image is not null)
        {
            json.WriteStartObject();
            json.WriteString("type", "image_url");
            json.WriteStartObject("image_url");
            json.WriteString("url", $"data:{image.ContentType};base64,{Convert.ToBase64String(image.Bytes!)}");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        Output(json, "preferred_output", pairs[0].Chosen.Text);
        Output(json, "non_preferred_output", pairs[0].Rejected.Text);
        json.WriteEndObject();
    }

    private static void Output(Utf8JsonWriter json, string name, string text)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        json.WriteString("role", "assistant");
        json.WriteString("content", text);
        json.WriteEndObject();
        json.WriteEndArray();
    }
}

/// <summary>BPO: one record per sample, its answers as completions in source order; <c>image</c> is relative to images/.</summary>
public sealed class BpoWriter(string folder, string split) : JsonLinesWriter(folder, split)
{
    protected override IEnumerable<IReadOnlyList<ExportPair>> Records(ExportSample sample, IReadOnlyList<ExportPair> pairs) => pairs.Count == 0 ? [] : [pairs];

    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        var completions = pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId).OrderBy(t => t.ResponseId);
        json.WriteStartObject();
        json.WriteString("prompt", sample.OriginalPrompt ?? sample.Prompt);
        if (image is not null) json.WriteString("image", image.RelativePath[(ExportImages.Folder.Length + 1)..]);
        json.WriteStartArray("completions");
        foreach (var completion in completions)
        {
            json.WriteStartObject();
            json.WriteNumber("score", completion.Score ?? (completion.Kind.IsPositive() ? 1 : 0));
            json.WriteString("response", completion.Text);
            json.WriteString("type", completion.Kind.ToWire());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (!sample.IdGenerated && sample.RecordId is not null)
            json.WriteString("id", sample.Turn is > 0 ? $"{sample.RecordId}-{sample.Turn}" : sample.RecordId);
        json.WriteEndObject();
    }
}
