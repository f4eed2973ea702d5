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
    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new TrlLines();

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            Run training from this folder (image paths are relative to it), then:

                from datasets import load_dataset, Image, List
                ds = load_dataset("json", data_files={Files(dataFiles)})
                ds = ds.cast_column("images", List(Image()))

            and pass ds["train"] to trl.DPOTrainer with a vision processor{(IExportFormat.HasValidation(dataFiles) ? ", and ds[\"validation\"] (validation.jsonl) as eval_dataset" : "")}.
            """;

    private static string Files(IReadOnlyList<string> files) => ExportReadme.Files(files);
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

