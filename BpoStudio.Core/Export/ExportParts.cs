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

/// <summary>
/// TRL DPOTrainer, conversational with an images column. Every line has the same shape, so it is written from fixed
/// fragments around the texts: the bytes the JSON writer produced field by field, at a fraction of the cost. A later
/// turn's prompt is the conversation so far (user, ground-truth assistant, ..., user); the image part sits in the first
/// user message, where the source put the image.
/// </summary>
public sealed class TrlLines : JsonLinesPart
{
    private static ReadOnlySpan<byte> UserWithImage => """{"role":"user","content":[{"type":"image"},{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> UserTextOnly => """{"role":"user","content":[{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> Assistant => """{"role":"assistant","content":[{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> MessageEnd => "}]},"u8;
    private static ReadOnlySpan<byte> Chosen => """}]}],"chosen":[{"role":"assistant","content":[{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> Rejected => """}]}],"rejected":[{"role":"assistant","content":[{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> Images => """}]}],"images":["""u8;

    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        var path = image is null ? null : Encoding.UTF8.GetBytes(image.RelativePath);
        var history = sample.Earlier;
        foreach (var pair in pairs)
        {
            WriteRaw("""{"prompt":["""u8);
            for (var i = 0; i < history.Count; i++)
            {
                WriteRaw(i == 0 && path is not null ? UserWithImage : UserTextOnly);
                WriteString(history[i].User.Span);
                WriteRaw(MessageEnd);
                WriteRaw(Assistant);
                WriteString(history[i].Assistant.Span);
                WriteRaw(MessageEnd);
            }
            WriteRaw(history.Count == 0 && path is not null ? UserWithImage : UserTextOnly);
            WriteString(sample.Prompt.Span);
            WriteRaw(Chosen);
            WriteString(pair.Chosen.Text.Span);
            WriteRaw(Rejected);
            WriteString(pair.Rejected.Text.Span);
            WriteRaw(Images);
            if (path is not null) WriteString(path);
            WriteRaw("]}\n"u8);
        }
    }
}

/// <summary>LLaMA-Factory sharegpt with <c>ranking: true</c>; a later turn's conversation holds the turns before it (odd length, human first and last).</summary>
public sealed class LlamaFactoryLines : PairLinesPart
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartArray(Names.Conversations);
        var history = sample.Earlier;
        for (var i = 0; i < history.Count; i++)
        {
            Turn(json, Names.Human, i == 0 && image is not null ? WithImage(history[i].User, history[i].UserAsWritten) : history[i].User.Span);
            Turn(json, Names.Gpt, history[i].Assistant.Span);
        }
        Turn(json, Names.Human, history.Count == 0 && image is not null ? WithImage(sample.Prompt, sample.OriginalPrompt) : sample.Prompt.Span);
        json.WriteEndArray();
        json.WritePropertyName(Names.Chosen);
        Turn(json, Names.Gpt, pair.Chosen.Text.Span);
        json.WritePropertyName(Names.Rejected);
        Turn(json, Names.Gpt, pair.Rejected.Text.Span);
        EndWithImages(json, image);
    }

    private byte[] _prefixed = new byte[1024];

    /// <summary>The question as the source wrote it when that holds the one placeholder (its place and the newline after it kept), else prefixed.</summary>
    private ReadOnlySpan<byte> WithImage(Utf8Text prompt, Utf8Text? asWritten)
    {
        if (asWritten is { } written)
        {
            var span = written.Span;
            var first = span.IndexOf(LoaderRules.ImagePlaceholderUtf8);
            if (first >= 0 && span[(first + LoaderRules.ImagePlaceholderUtf8.Length)..].IndexOf(LoaderRules.ImagePlaceholderUtf8) < 0) return span;
        }
        return WithPlaceholder(prompt.Span);
    }

    /// <summary>The prompt after the image placeholder the loader expects, in a buffer the part reuses.</summary>
    private ReadOnlySpan<byte> WithPlaceholder(ReadOnlySpan<byte> prompt)
    {
        var length = LoaderRules.ImagePlaceholderUtf8.Length + prompt.Length;
        if (_prefixed.Length < length) _prefixed = new byte[Math.Max(length, 2 * _prefixed.Length)];
        LoaderRules.ImagePlaceholderUtf8.CopyTo(_prefixed);
        prompt.CopyTo(_prefixed.AsSpan(LoaderRules.ImagePlaceholderUtf8.Length));
        return _prefixed.AsSpan(0, length);
    }

    private static void Turn(Utf8JsonWriter json, JsonEncodedText from, ReadOnlySpan<byte> value)
    {
        json.WriteStartObject();
        json.WriteString(Names.From, from);
        json.WriteString(Names.Value, value);
        json.WriteEndObject();
    }
}

/// <summary>OpenAI preference fine-tuning: images inline as data URIs in the first user message; earlier turns as the messages before.</summary>
public sealed class OpenAiLines : PairLinesPart
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartObject(Names.Input);
        json.WriteStartArray(Names.Messages);
        var history = sample.Earlier;
        for (var i = 0; i < history.Count; i++)
        {
            UserMessage(json, history[i].User.Span, i == 0 ? image : null);
            json.WriteStartObject();
            json.WriteString(Names.Role, Names.Assistant);
            json.WriteString(Names.Content, history[i].Assistant.Span);
            json.WriteEndObject();
        }
        UserMessage(json, sample.Prompt.Span, history.Count == 0 ? image : null);
        json.WriteEndArray();
        json.WriteEndObject();
        Output(json, Names.PreferredOutput, pair.Chosen.Text.Span);
        Output(json, Names.NonPreferredOutput, pair.Rejected.Text.Span);
        json.WriteEndObject();
    }

    private static void UserMessage(Utf8JsonWriter json, ReadOnlySpan<byte> text, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.User);
        json.WriteStartArray(Names.Content);
        TextPart(json, text);
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
    }

    private static void TextPart(Utf8JsonWriter json, ReadOnlySpan<byte> text)
    {
        json.WriteStartObject();
        json.WriteString(Names.Type, Names.Text);
        json.WriteString(Names.Text, text);
        json.WriteEndObject();
    }

    private static void Output(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<byte> text)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.Assistant);
        json.WriteString(Names.Content, text);
        json.WriteEndObject();
        json.WriteEndArray();
    }
}

/// <summary>
/// BPO: a record per sample, its answers as completions in source order; <c>image</c> is relative to images/. BPO's
/// loader pairs every two completions whose scores differ (higher wins), so the scores must encode exactly the accepted
/// pairs: the source's scores are kept when they do (a BPO round trip stays lossless), otherwise each chosen answer gets
/// its own record, scored 1 against its accepted negatives at 0.
/// </summary>
public sealed class BpoLines : JsonLinesPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (pairs.Count == 0) return;
        var completions = Completions(pairs);
        if (BpoLoader.Pairs(completions.Select(c => (c.ResponseId, ScoreOf(c)))).SetEquals(pairs.Select(p => (p.Chosen.ResponseId, p.Rejected.ResponseId))))
        {
            Write(sample, image, completions, ScoreOf, suffix: null);
            return;
        }
        var group = 0;
        foreach (var byChosen in pairs.GroupBy(p => p.Chosen.ResponseId))
            Write(sample, image, Completions([.. byChosen]), c => c.ResponseId == byChosen.Key ? 1 : 0, suffix: group++ == 0 ? null : $"alt{group - 1}");
    }

    private static List<ExportText> Completions(IReadOnlyList<ExportPair> pairs) =>
        pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId).OrderBy(t => t.ResponseId).ToList();

    private static double ScoreOf(ExportText completion) => completion.Score ?? (completion.Kind.IsPositive() ? 1 : 0);

    private void Write(ExportSample sample, ExportedImage? image, List<ExportText> completions, Func<ExportText, double> score, string? suffix)
    {
        var json = Json;
        json.WriteStartObject();
        json.WriteString(Names.Prompt, (sample.OriginalPrompt ?? sample.Prompt).Span);
        if (image is not null) json.WriteString(Names.Image, image.RelativePath[(ExportImages.Folder.Length + 1)..]);
        json.WriteStartArray(Names.Completions);
        foreach (var completion in completions)
        {
            json.WriteStartObject();
            json.WriteNumber(Names.Score, score(completion));
            json.WriteString(Names.Response, completion.Text.Span);
            json.WriteString(Names.Type, completion.Kind.ToWire());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (!sample.IdGenerated && sample.RecordId is not null)
        {
            var id = sample.Turn is > 0 ? $"{sample.RecordId}-{sample.Turn}" : sample.RecordId;
            json.WriteString(Names.Id, suffix is null ? id : $"{id}-{suffix}");
        }
        json.WriteEndObject();
        EndLine();
    }
}

/// <summary>What BPO's own loader (llava/train/bpo_llava.py) does with a record, restated for the exporter's checks.</summary>
public static class BpoLoader
{
    /// <summary>Its <c>filter_size</c> default: a record with any response longer than this many words is dropped.</summary>
    public const int FilterSizeWords = 350;

    /// <summary><c>make_batch_pairs</c>: every two completions with different scores, the higher one chosen; ties make no pair.</summary>
    public static HashSet<(long Chosen, long Rejected)> Pairs(IEnumerable<(long Id, double Score)> completions)
    {
        var list = completions.ToList();
        var pairs = new HashSet<(long, long)>();
        for (var i = 0; i < list.Count; i++)
            for (var j = i + 1; j < list.Count; j++)
                if (list[i].Score > list[j].Score) pairs.Add((list[i].Id, list[j].Id));
                else if (list[j].Score > list[i].Score) pairs.Add((list[j].Id, list[i].Id));
        return pairs;
    }

    /// <summary>Python's <c>str.split()</c> word count: runs of whitespace separate words.</summary>
    public static int Words(ReadOnlySpan<byte> utf8)
    {
        var words = 0;
        var inWord = false;
        foreach (var rune in System.Text.Encoding.UTF8.GetString(utf8).EnumerateRunes())
        {
            var space = System.Text.Rune.IsWhiteSpace(rune);
            if (!space && !inWord) words++;
            inWord = !space;
        }
        return words;
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
