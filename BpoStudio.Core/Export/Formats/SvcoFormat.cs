namespace BpoStudio.Core.Export.Formats;

/// <summary>
/// S-VCO's training data (s-vco/s-vco, <c>data_collator.py</c>): one JSON array per split, read whole with
/// <c>json.load</c>, of records with <c>chosen_images</c>, <c>rejected_images</c>, <c>system_prompt</c>,
/// <c>instruction_prompt</c>, <c>chosen_response</c> and <c>rejected_response</c>. Each side's images are opened with
/// PIL from the working directory and put after the instruction as image parts of one user turn, so an instruction holds
/// no placeholder of its own. Its LLaVA-Interleave reader indexes the processed images unguarded: every side needs one.
/// A text pair gives both sides the sample's image; an image pair gives the rejected side its weakened image.
/// </summary>
public sealed class SvcoFormat : IExportFormat
{
    public ExportFormat Format => ExportFormat.Svco;
    public string WireName => "svco";
    public string Title => "S-VCO (chosen/rejected images and responses, JSON)";
    public bool ReferencesImageFiles => true;
    public bool CarriesImagePairs => true;

    /// <summary>A record is one instruction and its answer.</summary>
    public bool HoldsHistory => false;

    /// <summary>run.py: <c>model_max_length: int = field(default=2048)</c>, passed to the reader as max_seq_len.</summary>
    public int? DefaultMaxLength => 2048;

    public CutAlike CutAlike(ExportSample sample, ExportPair pair, int maxLength) =>
        LengthLimit.WholeSequence(sample.Prompt.Span, 1 + (sample.MoreImageHashes?.Count ?? 0), pair.Chosen.Text.Span, pair.Rejected.Text.Span, maxLength);

    public ExportWriter CreateWriter(string folder, string split) => new JsonArrayWriter(folder, split);
    public IExportPart CreatePart() => new SvcoRecords();

    public string? NoImageReason => "S-VCO's reader processes each side's images and fails on a record without any; a text-only record would stop its training";

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            Run training from this folder (image paths are relative to it): in run_svco_example.sh set
            DATASET_PATH=./train.json and EVAL_DATASET_PATH={(IExportFormat.HasValidation(dataFiles) ? "./validation.json" : "./train.json (run.py always loads an eval set; export with a validation share for a real one)")},
            then run it with SVCO=True. system_prompt is empty, so no system turn is added; the images follow the instruction
            in the user turn, as S-VCO's reader puts them. Image pairs (the same answer under the original and under a
            weakened image) carry the weakened image in rejected_images.
            S-VCO cuts each whole conversation at model_max_length tokens (MODEL_MAX_LENGTH; 2048 by default in run.py,
            128 in run_svco_example.sh): pairs whose answers first differ past that would train as the same tokens and are
            left out (manifest.json lists them; export --max-length sets the limit you train with), and those that may,
            by the token counts' bounds, are counted (pairsPossiblyCutAlike).
            """;
}

/// <summary>A record per pair, the sides' image lists beside their responses.</summary>
public sealed class SvcoRecords : JsonArrayPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (image is null) return;
        foreach (var pair in pairs)
        {
            BeginRecord();
            Json.WriteStartObject();
            var chosen = sample.ImagesFrom(image);
            Images("chosen_images"u8, chosen);
            Images("rejected_images"u8, pair.RejectedImages ?? chosen);
            Json.WriteString("system_prompt"u8, ""u8);
            Json.WriteString("instruction_prompt"u8, sample.Prompt.Span);
            Json.WriteString("chosen_response"u8, pair.Chosen.Text.Span);
            Json.WriteString("rejected_response"u8, pair.Rejected.Text.Span);
            Json.WriteEndObject();
            EndRecord();
        }
    }

    private void Images(ReadOnlySpan<byte> name, IReadOnlyList<ExportedImage> images)
    {
        Json.WriteStartArray(name);
        foreach (var image in images) Json.WriteStringValue(image.RelativePath);
        Json.WriteEndArray();
    }
}
