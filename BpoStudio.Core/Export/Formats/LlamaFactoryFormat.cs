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
        json.WriteStartObject();
        json.WriteStartArray(Names.Conversations);
        var history = sample.Earlier;
        for (var i = 0; i < history.Count; i++)
        {
            Turn(json, Names.Human, i == 0 && images.Count > 0 ? WithImages(history[i].User, history[i].UserAsWritten, images.Count) : history[i].User.Span);
            Turn(json, Names.Gpt, history[i].Assistant.Span);
        }
        Turn(json, Names.Human, history.Count == 0 && images.Count > 0 ? WithImages(sample.Prompt, sample.OriginalPrompt, images.Count) : sample.Prompt.Span);
        json.WriteEndArray();
        json.WritePropertyName(Names.Chosen);
        Turn(json, Names.Gpt, pair.Chosen.Text.Span);
        json.WritePropertyName(Names.Rejected);
        Turn(json, Names.Gpt, pair.Rejected.Text.Span);
        EndWithImages(json, images);
    }

    private byte[] _prefixed = new byte[1024];

    /// <summary>
    /// The question as the source wrote it when that holds one placeholder per image (their places and the newlines after
    /// them kept), else the question after that many placeholders and a newline, as LLaVA-style sources write it, so a
    /// file's rows agree whichever way their question came.
    /// </summary>
    private ReadOnlySpan<byte> WithImages(Utf8Text prompt, Utf8Text? asWritten, int images)
    {
        if (asWritten is { } written && written.Span.Count(LoaderRules.ImagePlaceholderUtf8) == images) return written.Span;
        return WithPlaceholders(prompt.Span, images);
    }

    /// <summary>The prompt after the image placeholders the loader expects and a newline, in a buffer the part reuses.</summary>
    private ReadOnlySpan<byte> WithPlaceholders(ReadOnlySpan<byte> prompt, int images)
    {
        if (images == 0) return prompt;
        var placeholder = LoaderRules.ImagePlaceholderUtf8;
        var head = images * placeholder.Length + 1;
        var length = head + prompt.Length;
        if (_prefixed.Length < length) _prefixed = new byte[Math.Max(length, 2 * _prefixed.Length)];
        for (var i = 0; i < images; i++) placeholder.CopyTo(_prefixed.AsSpan(i * placeholder.Length));
        _prefixed[head - 1] = (byte)'\n';
        prompt.CopyTo(_prefixed.AsSpan(head));
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

