using BpoStudio.Core.Datasets;
using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;

namespace BpoStudio.Core.Export;

/// <summary>
/// Hugging Face <c>datasets</c> Parquet: one row per pair, the image as <c>struct&lt;bytes, path&gt;</c> with its bytes
/// embedded, and the feature types in the <c>huggingface</c> schema metadata so <c>load_dataset</c> decodes images.
/// Rows go out in row groups of <see cref="RowGroupSize"/>, so memory stays bounded by one group's images.
/// </summary>
public sealed class ParquetExportWriter(string folder, string split) : ExportWriter
{
    public const int RowGroupSize = 256;

    public const string HuggingFaceMetadata = """
        {"info":{"features":{"prompt":{"dtype":"string","_type":"Value"},"image":{"_type":"Image"},"chosen":{"dtype":"string","_type":"Value"},"rejected":{"dtype":"string","_type":"Value"},"chosen_type":{"dtype":"string","_type":"Value"},"rejected_type":{"dtype":"string","_type":"Value"},"rejected_method":{"dtype":"string","_type":"Value"},"pair_id":{"dtype":"int64","_type":"Value"},"sample_id":{"dtype":"int64","_type":"Value"}}}}
        """;

    private static readonly Dictionary<string, string> Metadata = new() { ["huggingface"] = HuggingFaceMetadata };
    private readonly List<ParquetPairRow> _buffer = new(RowGroupSize);
    private FileStream? _file;

    public override string FileName { get; } = split + ".parquet";

    public override async Task AppendAsync(IExportPart part, CancellationToken ct)
    {
        foreach (var row in ((ParquetPart)part).Rows)
        {
            _buffer.Add(row);
            if (_buffer.Count >= RowGroupSize) await FlushGroupAsync(ct);
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
    }

    private async Task FlushGroupAsync(CancellationToken ct)
    {
        var append = _file is not null;
        _file ??= new FileStream(Path.Combine(folder, FileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        await ParquetSerializer.SerializeAsync(_buffer, _file, new ParquetOptions { Append = append }, Metadata, ct);
        _buffer.Clear();
    }
}

/// <summary>Rows built on a worker; the writer groups them, so row groups do not depend on how samples were chunked.</summary>
public sealed class ParquetPart : IExportPart
{
    public List<ParquetPairRow> Rows { get; } = [];
    public bool IsFull => Rows.Count >= ParquetExportWriter.RowGroupSize;
    public bool IsEmpty => Rows.Count == 0;

    public void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        // Decoded once per sample and per chosen answer (its negatives share it), as the rows held them as strings before.
        var prompt = sample.Prompt.ToString();
        var parquetImage = image is null ? null : new ParquetImage { Bytes = image.Bytes, Path = image.RelativePath };
        (ExportText? Text, string Decoded) chosen = (null, "");
        foreach (var pair in pairs)
        {
            if (!ReferenceEquals(chosen.Text, pair.Chosen)) chosen = (pair.Chosen, pair.Chosen.Text.ToString());
            Rows.Add(new ParquetPairRow
            {
                Prompt = prompt,
                Image = parquetImage,
                Chosen = chosen.Decoded,
                Rejected = pair.Rejected.Text.ToString(),
                ChosenType = pair.Chosen.Kind.ToWire(),
                RejectedType = pair.Rejected.Kind.ToWire(),
                RejectedMethod = pair.Rejected.Method,
                PairId = pair.PairId,
                SampleId = sample.SampleId,
            });
        }
    }

    public void Dispose() { }
}

public sealed class ParquetPairRow
{
    [JsonPropertyName("prompt")] public string Prompt { get; set; } = "";
    [JsonPropertyName("image")] public ParquetImage? Image { get; set; }
    [JsonPropertyName("chosen")] public string Chosen { get; set; } = "";
    [JsonPropertyName("rejected")] public string Rejected { get; set; } = "";
    [JsonPropertyName("chosen_type")] public string ChosenType { get; set; } = "";
    [JsonPropertyName("rejected_type")] public string RejectedType { get; set; } = "";
    [JsonPropertyName("rejected_method")] public string? RejectedMethod { get; set; }
    [JsonPropertyName("pair_id")] public long PairId { get; set; }
    [JsonPropertyName("sample_id")] public long SampleId { get; set; }
}

/// <summary>The <c>datasets.Image</c> storage: <c>struct&lt;bytes: binary, path: string&gt;</c>.</summary>
public sealed class ParquetImage
{
    [JsonPropertyName("bytes")] public byte[]? Bytes { get; set; }
    [JsonPropertyName("path")] public string? Path { get; set; }
}
