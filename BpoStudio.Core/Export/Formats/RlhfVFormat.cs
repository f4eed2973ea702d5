using System.Text.Json;
using System.Text.Json.Serialization;
using BpoStudio.Core.Review;
using Parquet;
using Parquet.Serialization;

namespace BpoStudio.Core.Export.Formats;

/// <summary>
/// RLHF-V's preference records (openbmb/RLHF-V-Dataset: <c>ds_name</c>, <c>image</c>, <c>text</c> = JSON of question,
/// chosen and rejected, <c>origin_dataset</c>, <c>origin_split</c>, <c>idx</c>, <c>image_path</c>) as Parquet with the
/// image's bytes, plus the <c>question</c>, <c>chosen</c> and <c>rejected</c> columns RLAIF-V's trainer
/// (<c>muffin/data/datasets.py</c>, <c>RLAIFVDataset</c>) reads. That reader lists the <c>.parquet</c> files at the top of
/// its <c>data_dir</c> (none there: it downloads the public dataset instead), decodes every row's image and puts
/// <c>&lt;image&gt;\n</c> before the question. The fine-grained columns are JSON: <c>corrected_segments</c>, the chosen
/// answer's words that differ from the rejected one (RLHF-V's corrected segments, which its DDPO weights up), and
/// <c>error_spans</c>, the rejected answer's confirmed spans with type and severity.
/// </summary>
public sealed class RlhfVFormat : IExportFormat
{
    public ExportFormat Format => ExportFormat.RlhfV;
    public string WireName => "rlhf-v";
    public string Title => "RLHF-V / RLAIF-V (Parquet with corrected segments)";
    public bool ReferencesImageFiles => false;
    public bool HoldsHistory => false;
    public bool NeedsFeedback => true;
    public int? MaxImages => 1;
    public ExportWriter CreateWriter(string folder, string split) => new RlhfVWriter(folder, split);
    public IExportPart CreatePart() => new RlhfVPart();

    public string? NoImageReason => "RLAIF-V's reader decodes an image for every record; a text-only record would stop its training";

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => """
            Point RLAIF-V's DPO training at this folder as its data_dir (the --data_dir of its train script). On the first
            run RLAIFVDataset (muffin/data/datasets.py) finds no .parquet file whose name contains "logp", so it loads this
            folder's train-00000-of-00001.parquet (load_dataset(data_dir)["train"]), computes the reference model's
            log-probabilities (muffin/eval/muffin_inference_logp.py, which reads json.loads(origin_split), origin_dataset,
            idx and image_path of every row) and writes them as RLAIF-V-Dataset-withlogp_*.parquet into logps/; later runs
            train from logps/ directly. Training reads question (with <image> put before it), chosen, rejected and the
            embedded image. origin_split is JSON: the source row's own value where it had one (kept as it was), else
            {"split": "train"}; ds_name and origin_dataset are the source's where it had them. Readers of
            openbmb/RLHF-V-Dataset find its columns too (text, ds_name, origin_dataset, origin_split, idx, image_path).
            corrected_segments and error_spans are JSON lists of {start, length, text} (plus type and severity for spans),
            offsets into chosen and rejected. error_spans are the spans confirmed now.
            """;
}

public sealed class RlhfVRow
{
    [JsonPropertyName("ds_name")] public string DsName { get; set; } = "bpostudio";
    [JsonPropertyName("image")] public ParquetImage Image { get; set; } = new();
    [JsonPropertyName("text")] public string Text { get; set; } = "";
    [JsonPropertyName("origin_dataset")] public string OriginDataset { get; set; } = "bpostudio";
    [JsonPropertyName("origin_split")] public string OriginSplit { get; set; } = "";
    [JsonPropertyName("idx")] public long Idx { get; set; }
    [JsonPropertyName("image_path")] public string ImagePath { get; set; } = "";
    [JsonPropertyName("question")] public string Question { get; set; } = "";
    [JsonPropertyName("chosen")] public string Chosen { get; set; } = "";
    [JsonPropertyName("rejected")] public string Rejected { get; set; } = "";
    [JsonPropertyName("corrected_segments")] public string CorrectedSegments { get; set; } = "[]";
    [JsonPropertyName("error_spans")] public string ErrorSpans { get; set; } = "[]";
}

/// <summary>A row per pair: the texts as columns and as RLHF-V's <c>text</c> JSON, the image's bytes, the segments.</summary>
public sealed class RlhfVPart : ParquetRowsPart<RlhfVRow>
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (image is null) return;
        var question = sample.Prompt.ToString();
        var origin = Origin(sample.Feedback?.ExtraJson);
        foreach (var pair in pairs)
        {
            var (chosen, rejected) = (pair.Chosen.Text.ToString(), pair.Rejected.Text.ToString());
            var spans = sample.Feedback?.Responses.GetValueOrDefault(pair.Rejected.ResponseId)?.Spans ?? [];
            Rows.Add(new RlhfVRow
            {
                DsName = origin.GetValueOrDefault("ds_name") ?? "bpostudio",
                OriginDataset = origin.GetValueOrDefault("origin_dataset") ?? "bpostudio",
                OriginSplit = origin.GetValueOrDefault("origin_split") is { } split ? AsJson(split) : "",
                Image = new ParquetImage { Bytes = image.Bytes, Path = image.RelativePath },
                Text = JsonSerializer.Serialize(new { question, chosen, rejected }, Json),
                Idx = pair.PairId,
                ImagePath = sample.ImagePath ?? image.RelativePath,
                Question = question,
                Chosen = chosen,
                Rejected = rejected,
                CorrectedSegments = JsonSerializer.Serialize(CorrectedSegments(rejected, chosen), Json),
                ErrorSpans = JsonSerializer.Serialize(spans.Select(s => new { start = s.Start, length = s.Length, text = s.Text, type = s.Type.ToString().ToLowerInvariant(), severity = s.Severity.ToString().ToLowerInvariant() }), Json),
            });
        }
    }

    // The source row's ds_name, origin_dataset and origin_split, when it came from RLAIF-V data (kept on import).
    private static Dictionary<string, string> Origin(string? extraJson)
    {
        if (extraJson is null) return [];
        using var extra = JsonDocument.Parse(extraJson);
        return extra.RootElement.TryGetProperty("rlaifv", out var origin) ? origin.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "") : [];
    }

    /// <summary>RLAIF-V's log-prob pass runs json.loads on origin_split: a value that is JSON stays as it was, any other is written as a JSON string.</summary>
    public static string AsJson(string value)
    {
        try
        {
            using var _ = JsonDocument.Parse(value);
            return value;
        }
        catch (JsonException)
        {
            return JsonSerializer.Serialize(value);
        }
    }

    /// <summary>The runs of words in <paramref name="chosen"/> that the rejected answer does not have, with their offsets in chosen.</summary>
    public static IEnumerable<object> CorrectedSegments(string rejected, string chosen) =>
        WordDiff.AddedRuns(rejected, chosen).Select(run => new { start = run.Start, length = run.Length, text = chosen.Substring(run.Start, run.Length) });
}

/// <summary>Top-level <c>{split}-00000-of-00001.parquet</c>, where RLAIF-V's reader looks, with the Hub features.</summary>
public sealed class RlhfVWriter(string folder, string split) : ParquetRowWriter<RlhfVRow>(folder, $"{split}-00000-of-00001.parquet")
{
    private const string Text = """{"dtype":"string","_type":"Value"}""";

    private static readonly Dictionary<string, string> Metadata = new()
    {
        ["huggingface"] = """{"info":{"features":{"ds_name":""" + Text + ""","image":{"_type":"Image"},"text":""" + Text + ""","origin_dataset":""" + Text +
            ""","origin_split":""" + Text + ""","idx":{"dtype":"int64","_type":"Value"},"image_path":""" + Text + ""","question":""" + Text + ""","chosen":""" + Text +
            ""","rejected":""" + Text + ""","corrected_segments":""" + Text + ""","error_spans":""" + Text + "}}}",
    };

    // A part does not know its split; the file it goes in does.
    protected override Task WriteGroupAsync(List<RlhfVRow> rows, Stream file, ParquetOptions options, CancellationToken ct)
    {
        foreach (var row in rows.Where(r => r.OriginSplit.Length == 0)) row.OriginSplit = JsonSerializer.Serialize(new { split });
        return ParquetSerializer.SerializeAsync(rows, file, options, Metadata, ct);
    }
}
