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
/// A conversational prompt as TRL reads it: the conversation so far (user, ground-truth assistant, ..., user), the
/// image part in the first user message, where the source put the image. Written from fixed fragments around the
/// texts: the bytes the JSON writer produced field by field, at a fraction of the cost.
/// </summary>
public abstract class ConversationalPromptPart : JsonLinesPart
{
    private static ReadOnlySpan<byte> UserWithImage => """{"role":"user","content":[{"type":"image"},{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> UserTextOnly => """{"role":"user","content":[{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> Assistant => """{"role":"assistant","content":[{"type":"text","text":"""u8;
    private static ReadOnlySpan<byte> MessageEnd => "}]},"u8;

    /// <summary><c>{"prompt":[...]</c>, the record left open for the fields that follow.</summary>
    protected void WritePrompt(ExportSample sample, byte[]? imagePath)
    {
        var history = sample.Earlier;
        WriteRaw("""{"prompt":["""u8);
        for (var i = 0; i < history.Count; i++)
        {
            WriteRaw(i == 0 && imagePath is not null ? UserWithImage : UserTextOnly);
            WriteString(history[i].User.Span);
            WriteRaw(MessageEnd);
            WriteRaw(Assistant);
            WriteString(history[i].Assistant.Span);
            WriteRaw(MessageEnd);
        }
        WriteRaw(history.Count == 0 && imagePath is not null ? UserWithImage : UserTextOnly);
        WriteString(sample.Prompt.Span);
        WriteRaw("}]}]"u8);
    }

    /// <summary>One assistant message: <c>[{"role":"assistant","content":[{"type":"text","text":...}]}]</c>.</summary>
    protected void WriteAnswer(ReadOnlySpan<byte> text)
    {
        WriteRaw("""[{"role":"assistant","content":[{"type":"text","text":"""u8);
        WriteString(text);
        WriteRaw("}]}]"u8);
    }

    /// <summary><c>,"images":[path]}</c> and the line's end.</summary>
    protected void WriteImagesAndEnd(byte[]? imagePath)
    {
        WriteRaw(""","images":["""u8);
        if (imagePath is not null) WriteString(imagePath);
        WriteRaw("]}\n"u8);
    }
}

/// <summary>TRL DPOTrainer, conversational with an images column.</summary>
public sealed class TrlLines : ConversationalPromptPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        var path = image is null ? null : Encoding.UTF8.GetBytes(image.RelativePath);
        foreach (var pair in pairs)
        {
            WritePrompt(sample, path);
            WriteRaw(""","chosen":"""u8);
            WriteAnswer(pair.Chosen.Text.Span);
            WriteRaw(""","rejected":"""u8);
            WriteAnswer(pair.Rejected.Text.Span);
            WriteImagesAndEnd(path);
        }
    }
}
