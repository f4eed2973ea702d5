using System.Text;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export.Formats;

/// <summary>LLaMA-Factory sharegpt with <c>ranking: true</c>, and the dataset_info.json entry that registers it.</summary>
public sealed class LlamaFactoryFormat : IExportFormat
{
    /// <summary>Its <c>_validate_messages</c> counts these too and raises (stopping the whole run) on a mismatch.</summary>
    private static readonly byte[][] MediaPlaceholders = ["<video>"u8.ToArray(), "<audio>"u8.ToArray()];

    public ExportFormat Format => ExportFormat.LlamaFactory;
    public string WireName => "llama-factory";
    public string Title => "LLaMA-Factory (sharegpt ranking)";
    public bool ReferencesImageFiles => true;
    public bool KeepsImagePlaces => true;
    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new LlamaFactoryLines();

    public string? CheckPair(ExportSample sample, ExportPair pair, ExportedImage? image) =>
        MediaPlaceholderIn(sample, pair) is { } placeholder
            ? $"{placeholder.Where} contains {placeholder.Text}, which LLaMA-Factory counts as a media placeholder; with no such file it stops the whole run"
            : null;

    private static (string Where, string Text)? MediaPlaceholderIn(ExportSample sample, ExportPair pair)
    {
        foreach (var placeholder in MediaPlaceholders)
        {
            var text = System.Text.Encoding.ASCII.GetString(placeholder);
            if (sample.Prompt.Contains(placeholder)) return ("the prompt", text);
            if (pair.Chosen.Text.Contains(placeholder)) return ("the chosen answer", text);
            if (pair.Rejected.Text.Contains(placeholder)) return ("the rejected answer", text);
            for (var i = 0; i < sample.Earlier.Count; i++)
                if (sample.Earlier[i].User.Contains(placeholder) || sample.Earlier[i].Assistant.Contains(placeholder))
                    return ($"turn {i + 1} of the conversation before this one", text);
        }
        return null;
    }

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            Point LLaMA-Factory at this folder as it is; its dataset_info.json is already here. In the training YAML:

                stage: dpo
                dataset_dir: /absolute/path/to/this/folder
                dataset: {infoName}_train{(IExportFormat.HasValidation(dataFiles) ? $"\n    eval_dataset: {infoName}_validation      # validation.jsonl" : "")}

            Each question holds one <image> per image: where the source placed them, else before the question and followed
            by a newline ("<image>\nWhat colour is..."), the same in every row. Images resolve against dataset_dir
            (media_dir defaults to it), where images/ is. Do not copy the files into
            LLaMA-Factory's data/ folder: file_name and the image paths would then point to the wrong place.
            """;

    public async Task WriteExtraFilesAsync(string folder, string infoName, IReadOnlyList<string> dataFiles, CancellationToken ct)
    {
        var entries = dataFiles.ToDictionary(f => $"{infoName}_{Path.GetFileNameWithoutExtension(f)}", f => new
        {
            file_name = f,
            formatting = "sharegpt",
            ranking = true,
            columns = new { messages = "conversations", chosen = "chosen", rejected = "rejected", images = "images" },
        });
        await File.WriteAllTextAsync(Path.Combine(folder, "dataset_info.json"), JsonSerializer.Serialize(entries, new JsonSerializerOptions { WriteIndented = true }), ct);
    }
}

/// <summary>LLaMA-Factory sharegpt with <c>ranking: true</c>; a later turn's conversation holds the turns before it (odd length, human first and last).</summary>
public sealed class LlamaFactoryLines : PairLinesPart
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        var images = sample.ImagesFrom(image);
        var plan = ImagePlacement.Plan(sample, images.Count);
        json.WriteStartObject();
        json.WriteStartArray(Names.Conversations);
        var history = sample.Earlier;
        for (var i = 0; i < history.Count; i++)
        {
            Turn(json, Names.Human, WithPlaceholders(plan.Messages[i]));
            Turn(json, Names.Gpt, history[i].Assistant.Span);
        }
        Turn(json, Names.Human, WithPlaceholders(plan.Messages[^1]));
        json.WriteEndArray();
        json.WritePropertyName(Names.Chosen);
        Turn(json, Names.Gpt, pair.Chosen.Text.Span);
        json.WritePropertyName(Names.Rejected);
        Turn(json, Names.Gpt, pair.Rejected.Text.Span);
        EndWithImages(json, images);
    }

    private byte[] _prefixed = new byte[1024];

    /// <summary>
    /// A question as the source wrote it when it holds its images' placeholders (their places and the newlines after
    /// them kept), else after as many placeholders and a newline, as LLaVA-style sources write it, so a file's rows agree
    /// whichever way their question came; images whose placeholder lies in a later turn follow the last question.
    /// </summary>
    private ReadOnlySpan<byte> WithPlaceholders(UserMessageImages message)
    {
        var text = message.AsWritten is { } written ? written.Span : message.Text.Span;
        var leading = message.AsWritten is null ? message.Leading : 0;
        if (leading == 0 && message.Trailing == 0) return text;
        var placeholder = LoaderRules.ImagePlaceholderUtf8;
        var length = leading * placeholder.Length + (leading > 0 ? 1 : 0) + text.Length + (message.Trailing > 0 ? 1 : 0) + message.Trailing * placeholder.Length;
        if (_prefixed.Length < length) _prefixed = new byte[Math.Max(length, 2 * _prefixed.Length)];
        var at = 0;
        for (var i = 0; i < leading; i++) at += Put(placeholder, at);
        if (leading > 0) _prefixed[at++] = (byte)'\n';
        at += Put(text, at);
        if (message.Trailing > 0) _prefixed[at++] = (byte)'\n';
        for (var i = 0; i < message.Trailing; i++) at += Put(placeholder, at);
        return _prefixed.AsSpan(0, at);
    }

    private int Put(ReadOnlySpan<byte> bytes, int at)
    {
        bytes.CopyTo(_prefixed.AsSpan(at));
        return bytes.Length;
    }

    private static void Turn(Utf8JsonWriter json, JsonEncodedText from, ReadOnlySpan<byte> value)
    {
        json.WriteStartObject();
        json.WriteString(Names.From, from);
        json.WriteString(Names.Value, value);
        json.WriteEndObject();
    }
}

