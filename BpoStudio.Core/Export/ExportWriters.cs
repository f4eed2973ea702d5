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

    protected Utf8JsonWriter Json => _json;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _bytes;
    private ManifestFile? _description;

    protected JsonLinesWriter(string folder, string split)
    {
        FileName = split + ".jsonl";
        _file = new FileStream(Path.Combine(folder, FileName), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    public override string FileName { get; }

    public override ManifestFile? Description => _description;

    public override Task WriteAsync(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image, CancellationToken ct)
    {
        WriteLines(sample, pairs, image);
        return _buffer.WrittenCount >= ChunkBytes ? DrainAsync(ct) : Task.CompletedTask;
    }

    /// <summary>Writes the lines a sample becomes into <see cref="Json"/>, ending each with <see cref="EndLine"/>.</summary>
    protected abstract void WriteLines(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image);

    protected void EndLine()
    {
        _json.Flush();
        _json.Reset();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

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
        json.WriteString(Names.Type, Names.Text);
        json.WriteString(Names.Text, text);
        json.WriteEndObject();
    }
}

/// <summary>One line per pair.</summary>
public abstract class PairLinesWriter(string folder, string split) : JsonLinesWriter(folder, split)
{
    protected override void WriteLines(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        foreach (var pair in pairs)
        {
            WriteRecord(Json, sample, pair, image);
            EndLine();
        }
    }

    protected abstract void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image);
}

/// <summary>TRL DPOTrainer, conversational with an images column.</summary>
public sealed class TrlWriter(string folder, string split) : PairLinesWriter(folder, split)
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartArray(Names.Prompt);
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.User);
        json.WriteStartArray(Names.Content);
        if (image is not null)
        {
            json.WriteStartObject();
            json.WriteString(Names.Type, Names.Image);
            json.WriteEndObject();
        }
        TextPart(json, sample.Prompt);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        Answer(json, Names.Chosen, pair.Chosen.Text);
        Answer(json, Names.Rejected, pair.Rejected.Text);
        json.WriteStartArray(Names.Images);
        if (image is not null) json.WriteStringValue(image.RelativePath);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Answer(Utf8JsonWriter json, JsonEncodedText name, string text)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.Assistant);
        json.WriteStartArray(Names.Content);
        TextPart(json, text);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
    }
}

/// <summary>LLaMA-Factory sharegpt with <c>ranking: true</c>.</summary>
public sealed class LlamaFactoryWriter(string folder, string split) : PairLinesWriter(folder, split)
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
        json.WriteStartArray(Names.Images);
        if (image is not null) json.WriteStringValue(image.RelativePath);
        json.WriteEndArray();
        json.WriteEndObject();
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
public sealed class OpenAiWriter(string folder, string split) : PairLinesWriter(folder, split)
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
public sealed class BpoWriter(string folder, string split) : JsonLinesWriter(folder, split)
{
    protected override void WriteLines(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
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
