using System.Text;
using BpoStudio.Core.Datasets;
using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;

namespace BpoStudio.Core.Export;

/// <summary>
/// Hugging Face <c>datasets</c> Parquet that TRL's DPOTrainer takes as it is: <c>prompt</c>, <c>chosen</c> and
/// <c>rejected</c> as conversational message lists (the prompt's image part where the image goes, earlier turns before
/// the question), <c>images</c> a list of <c>Image</c> (<c>struct&lt;bytes, path&gt;</c>, bytes embedded), and the
/// feature types in the <c>huggingface</c> schema metadata. Files follow the Hub layout,
/// <c>data/{split}-00000-of-00001.parquet</c>, beside a dataset card. Rows go out in row groups of
/// <see cref="RowGroupSize"/>, so memory stays bounded by one group's images.
/// </summary>
public sealed class ParquetExportWriter(string folder, string split) : ParquetRowWriter<ParquetPairRow>(folder, FileFor(split))
{
    private const string Text = """{"dtype":"string","_type":"Value"}""";
    private const string Messages = $$$"""{"feature":{"role":{{{Text}}},"content":{"feature":{"type":{{{Text}}},"text":{{{Text}}}},"_type":"List"}},"_type":"List"}""";

    public const string HuggingFaceMetadata =
        """{"info":{"features":{"prompt":""" + Messages + ""","chosen":""" + Messages + ""","rejected":""" + Messages +
        ""","images":{"feature":{"_type":"Image"},"_type":"List"},"chosen_type":""" + Text + ""","rejected_type":""" + Text +
        ""","rejected_method":""" + Text + ""","pair_id":{"dtype":"int64","_type":"Value"},"sample_id":{"dtype":"int64","_type":"Value"}}}}""";

    private const string Number = """{"dtype":"float64","_type":"Value"}""";

    /// <summary>The features with the extra columns an export asks for: weight, then score and confidence.</summary>
    public static string FeaturesWith(bool weight, bool scores) =>
        HuggingFaceMetadata[..^3] + (weight ? $$""","weight":{{Number}}""" : "") + (scores ? $$""","score":{{Number}},"confidence":{{Number}}""" : "") + "}}}";

    public static string FileFor(string split) => $"data/{split}-00000-of-00001.parquet";

    private static Dictionary<string, string> Metadata(bool weight, bool scores) => new() { ["huggingface"] = FeaturesWith(weight, scores) };

    // An export asks for the extra columns on every pair or on none: the first row's type says which schema the file has.
    protected override Task WriteGroupAsync(List<ParquetPairRow> rows, Stream file, ParquetOptions options, CancellationToken ct) => rows.FirstOrDefault() switch
    {
        WeightedScoredParquetPairRow => ParquetSerializer.SerializeAsync(rows.Cast<WeightedScoredParquetPairRow>().ToList(), file, options, Metadata(true, true), ct),
        ScoredParquetPairRow => ParquetSerializer.SerializeAsync(rows.Cast<ScoredParquetPairRow>().ToList(), file, options, Metadata(false, true), ct),
        WeightedParquetPairRow => ParquetSerializer.SerializeAsync(rows.Cast<WeightedParquetPairRow>().ToList(), file, options, Metadata(true, false), ct),
        _ => ParquetSerializer.SerializeAsync(rows, file, options, Metadata(false, false), ct),
    };
}

/// <summary>
/// Parquet rows appended in row groups of <see cref="ParquetRowWriter.RowGroupSize"/> as parts arrive, so memory stays
/// bounded by one group's images; each format says how a group is serialised.
/// </summary>
public abstract class ParquetRowWriter<TRow>(string folder, string fileName) : ExportWriter
{
    private readonly List<TRow> _buffer = new(ParquetRowWriter.RowGroupSize);
    private FileStream? _file;

    public override string FileName { get; } = fileName;

    public override async Task AppendAsync(IExportPart part, CancellationToken ct)
    {
        foreach (var row in ((ParquetRowsPart<TRow>)part).Rows)
        {
            _buffer.Add(row);
            if (_buffer.Count >= ParquetRowWriter.RowGroupSize) await FlushGroupAsync(ct);
        }
    }

    public override async Task CompleteAsync(CancellationToken ct)
    {
        if (_buffer.Count > 0 || _file is null) await FlushGroupAsync(ct);
        await _file!.FlushAsync(ct);
        _file.Flush(flushToDisk: true);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_file is not null) await _file.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract Task WriteGroupAsync(List<TRow> rows, Stream file, ParquetOptions options, CancellationToken ct);

    private async Task FlushGroupAsync(CancellationToken ct)
    {
        var append = _file is not null;
        var path = Path.Combine(folder, FileName);
        if (_file is null) Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _file ??= new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        await WriteGroupAsync(_buffer, _file, new ParquetOptions { Append = append }, ct);
        _buffer.Clear();
    }
}

public static class ParquetRowWriter
{
    public const int RowGroupSize = 256;
}

/// <summary>Rows built on a worker; the writer groups them, so row groups do not depend on how samples were chunked.</summary>
public abstract class ParquetRowsPart<TRow> : IExportPart
{
    public List<TRow> Rows { get; } = [];
    public bool IsFull => Rows.Count >= ParquetRowWriter.RowGroupSize;
    public bool IsEmpty => Rows.Count == 0;

    public abstract void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image);

    public void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>TRL's conversational rows for the Hub folder.</summary>
/// <param name="scored">The export asks for a scorer's scores: every row has the score columns, null where the scorer gave none.</param>
public sealed class ParquetPart(bool scored) : ParquetRowsPart<ParquetPairRow>
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        // Built once per sample and per chosen answer (its negatives share it).
        var exported = sample.ImagesFrom(image);
        var prompt = Prompt(sample, exported.Count);
        List<ParquetImage> images = [.. exported.Select(i => new ParquetImage { Bytes = i.Bytes, Path = i.RelativePath })];
        (ExportText? Text, List<ParquetMessage> Messages) chosen = (null, []);
        foreach (var pair in pairs)
        {
            if (!ReferenceEquals(chosen.Text, pair.Chosen)) chosen = (pair.Chosen, [ParquetMessage.Assistant(pair.Chosen.Text.ToString())]);
            var row = NewRow(pair);
            row.Prompt = prompt;
            row.Chosen = chosen.Messages;
            row.Rejected = [ParquetMessage.Assistant(pair.Rejected.Text.ToString())];
            row.Images = images;
            row.ChosenType = pair.Chosen.Kind.ToWire();
            row.RejectedType = pair.Rejected.Kind.ToWire();
            row.RejectedMethod = pair.Rejected.Method;
            row.PairId = pair.PairId;
            row.SampleId = sample.SampleId;
            Rows.Add(row);
        }
    }

    private ParquetPairRow NewRow(ExportPair pair) => (pair.Weight, scored) switch
    {
        ({ } weight, true) => new WeightedScoredParquetPairRow { Weight = weight, Score = pair.Score?.PreferChosen, Confidence = pair.Score?.Confidence },
        (null, true) => new ScoredParquetPairRow { Score = pair.Score?.PreferChosen, Confidence = pair.Score?.Confidence },
        ({ } weight, false) => new WeightedParquetPairRow { Weight = weight },
        _ => new ParquetPairRow(),
    };

    /// <summary>As TRL's JSON lines: earlier turns first, each image part where the source put it (<see cref="ImagePlacement"/>).</summary>
    private static List<ParquetMessage> Prompt(ExportSample sample, int images)
    {
        var plan = ImagePlacement.Plan(sample, images);
        var messages = new List<ParquetMessage>();
        for (var i = 0; i < sample.Earlier.Count; i++)
        {
            messages.Add(ParquetMessage.User(plan.Messages[i]));
            messages.Add(ParquetMessage.Assistant(sample.Earlier[i].Assistant.ToString()));
        }
        messages.Add(ParquetMessage.User(plan.Messages[^1]));
        return messages;
    }
}

public class ParquetPairRow
{
    [JsonPropertyName("prompt")] public List<ParquetMessage> Prompt { get; set; } = [];
    [JsonPropertyName("chosen")] public List<ParquetMessage> Chosen { get; set; } = [];
    [JsonPropertyName("rejected")] public List<ParquetMessage> Rejected { get; set; } = [];
    [JsonPropertyName("images")] public List<ParquetImage> Images { get; set; } = [];
    [JsonPropertyName("chosen_type")] public string ChosenType { get; set; } = "";
    [JsonPropertyName("rejected_type")] public string RejectedType { get; set; } = "";
    [JsonPropertyName("rejected_method")] public string? RejectedMethod { get; set; }
    [JsonPropertyName("pair_id")] public long PairId { get; set; }
    [JsonPropertyName("sample_id")] public long SampleId { get; set; }
}

/// <summary>A row of an export with weights (<see cref="ExportWeights"/>).</summary>
public sealed class WeightedParquetPairRow : ParquetPairRow
{
    [JsonPropertyName("weight")] public double Weight { get; set; }
}

/// <summary>A row of an export with a scorer's scores: null where it gave none.</summary>
public class ScoredParquetPairRow : ParquetPairRow
{
    [JsonPropertyName("score")] public double? Score { get; set; }
    [JsonPropertyName("confidence")] public double? Confidence { get; set; }
}

/// <summary>A row of an export with weights and a scorer's scores.</summary>
public sealed class WeightedScoredParquetPairRow : ScoredParquetPairRow
{
    [JsonPropertyName("weight")] public double Weight { get; set; }
}

/// <summary>A chat message as the Hub's conversational datasets store it: an image part has a null text.</summary>
public sealed class ParquetMessage
{
    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("content")] public List<ParquetContent> Content { get; set; } = [];

    public static ParquetMessage User(UserMessageImages message)
    {
        var content = new List<ParquetContent>();
        for (var i = 0; i < message.Leading; i++) content.Add(new ParquetContent { Type = "image" });
        if (!message.Interleaved) content.Add(new ParquetContent { Type = "text", Text = Encoding.UTF8.GetString(message.Text.Span) });
        else
        {
            var segments = message.Segments();
            for (var i = 0; i < segments.Count; i++)
            {
                if (i > 0) content.Add(new ParquetContent { Type = "image" });
                if (!segments[i].IsEmpty) content.Add(new ParquetContent { Type = "text", Text = Encoding.UTF8.GetString(segments[i].Span) });
            }
        }
        for (var i = 0; i < message.Trailing; i++) content.Add(new ParquetContent { Type = "image" });
        return new ParquetMessage { Role = "user", Content = content };
    }

    public static ParquetMessage Assistant(string text) => new() { Role = "assistant", Content = [new() { Type = "text", Text = text }] };
}

public sealed class ParquetContent
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("text")] public string? Text { get; set; }
}

/// <summary>The <c>datasets.Image</c> storage: <c>struct&lt;bytes: binary, path: string&gt;</c>.</summary>
public sealed class ParquetImage
{
    [JsonPropertyName("bytes")] public byte[]? Bytes { get; set; }
    [JsonPropertyName("path")] public string? Path { get; set; }
}
