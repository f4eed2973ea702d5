using System.Text;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export.Formats;

/// <summary>TRL DPOTrainer, conversational JSON lines with an images column.</summary>
public sealed class TrlFormat : IExportFormat
{
    public ExportFormat Format => ExportFormat.Trl;
    public string WireName => "trl";
    public string Title => "TRL DPOTrainer (conversational JSONL)";
    public bool ReferencesImageFiles => true;
    public bool KeepsImagePlaces => true;
    public bool WritesPairColumns => true;
    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new TrlLines();

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            Run training from this folder (image paths are relative to it), then:

                from datasets import load_dataset, Image, List
                ds = load_dataset("json", data_files={Files(dataFiles)})
                ds = ds.cast_column("images", List(Image()))

            and pass ds["train"] to trl.DPOTrainer with a vision processor{(IExportFormat.HasValidation(dataFiles) ? ", and ds[\"validation\"] (validation.jsonl) as eval_dataset" : "")}.
            With --weights each line also has `weight`: 1 plus the severity weights of the rejected answer's confirmed
            error spans (with --judge-weights times the scorer's score for pairs no person decided). DPOTrainer does not
            read it; scale each pair's loss by it (as HSA-DPO does) in a subclass. With --scores each line also has
            `score` (the scorer's preference for the chosen answer, 0 to 1) and `confidence`.
            """;

    private static string Files(IReadOnlyList<string> files) => ExportReadme.Files(files);
}

/// <summary>
/// A conversational prompt as TRL reads it: the conversation so far (user, ground-truth assistant, ..., user), each
/// image part where the source put it (<see cref="ImagePlacement"/>): before the question as usual, or between the
/// texts of an interleaved one. Written from fixed fragments around the texts: the bytes the JSON writer produced field
/// by field, at a fraction of the cost.
/// </summary>
public abstract class ConversationalPromptPart : JsonLinesPart
{
    private static ReadOnlySpan<byte> UserStart => """{"role":"user","content":["""u8;
    private static ReadOnlySpan<byte> ImagePart => """{"type":"image"}"""u8;
    private static ReadOnlySpan<byte> TextStart => """{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> Assistant => """{"role":"assistant","content":[{"type":"text","text":"""u8;

    /// <summary><c>{"prompt":[...]</c>, the record left open for the fields that follow; an image part per image, in order.</summary>
    protected void WritePrompt(ExportSample sample, IReadOnlyList<byte[]> imagePaths)
    {
        var plan = ImagePlacement.Plan(sample, imagePaths.Count);
        var history = sample.Earlier;
        WriteRaw("""{"prompt":["""u8);
        for (var i = 0; i <= history.Count; i++)
        {
            if (i > 0) WriteRaw(","u8);
            WriteUser(plan.Messages[i]);
            if (i == history.Count) break;
            WriteRaw(","u8);
            WriteRaw(Assistant);
            WriteString(history[i].Assistant.Span);
            WriteRaw("}]}"u8);
        }
        WriteRaw("]"u8);
    }

    private void WriteUser(UserMessageImages message)
    {
        WriteRaw(UserStart);
        var separate = false;
        for (var i = 0; i < message.Leading; i++) WriteImage(ref separate);
        if (!message.Interleaved) WriteText(message.Text.Span, ref separate);
        else
        {
            var segments = message.Segments();
            for (var i = 0; i < segments.Count; i++)
            {
                if (i > 0) WriteImage(ref separate);
                if (!segments[i].IsEmpty) WriteText(segments[i].Span, ref separate);
            }
        }
        for (var i = 0; i < message.Trailing; i++) WriteImage(ref separate);
        WriteRaw("]}"u8);
    }

    private void WriteImage(ref bool separate)
    {
        if (separate) WriteRaw(","u8);
        WriteRaw(ImagePart);
        separate = true;
    }

    private void WriteText(ReadOnlySpan<byte> text, ref bool separate)
    {
        if (separate) WriteRaw(","u8);
        WriteRaw(TextStart);
        WriteString(text);
        WriteRaw("}"u8);
        separate = true;
    }

    /// <summary>The images' paths as the record's <c>images</c> column holds them.</summary>
    protected static IReadOnlyList<byte[]> PathsOf(ExportSample sample, ExportedImage? image) =>
        image is null ? [] : [.. sample.ImagesFrom(image).Select(i => Encoding.UTF8.GetBytes(i.RelativePath))];

    /// <summary>One assistant message: <c>[{"role":"assistant","content":[{"type":"text","text":...}]}]</c>.</summary>
    protected void WriteAnswer(ReadOnlySpan<byte> text)
    {
        WriteRaw("""[{"role":"assistant","content":[{"type":"text","text":"""u8);
        WriteString(text);
        WriteRaw("}]}]"u8);
    }

    /// <summary><c>,"weight":w</c>: the pair's weight (<see cref="ExportWeights"/>), when the export asks for weights.</summary>
    protected void WriteWeight(double weight) => WriteNumber(""","weight":"""u8, weight);

    /// <summary><c>,"score":p,"confidence":c</c>: the chosen scorer's score, when the export asks for one.</summary>
    protected void WriteScore(ExportScore score)
    {
        WriteNumber(""","score":"""u8, score.PreferChosen);
        WriteNumber(""","confidence":"""u8, score.Confidence);
    }

    private void WriteNumber(ReadOnlySpan<byte> field, double value)
    {
        WriteRaw(field);
        WriteRaw(Encoding.ASCII.GetBytes(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary><c>,"images":[paths]}</c> and the line's end.</summary>
    protected void WriteImagesAndEnd(IReadOnlyList<byte[]> imagePaths)
    {
        WriteRaw(""","images":["""u8);
        for (var i = 0; i < imagePaths.Count; i++)
        {
            if (i > 0) WriteRaw(","u8);
            WriteString(imagePaths[i]);
        }
        WriteRaw("]}\n"u8);
    }
}

/// <summary>TRL DPOTrainer, conversational with an images column.</summary>
public sealed class TrlLines : ConversationalPromptPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        var path = PathsOf(sample, image);
        foreach (var pair in pairs)
        {
            WritePrompt(sample, path);
            WriteRaw(""","chosen":"""u8);
            WriteAnswer(pair.Chosen.Text.Span);
            WriteRaw(""","rejected":"""u8);
            WriteAnswer(pair.Rejected.Text.Span);
            if (pair.Weight is { } weight) WriteWeight(weight);
            if (pair.Score is { } score) WriteScore(score);
            WriteImagesAndEnd(path);
        }
    }
}
