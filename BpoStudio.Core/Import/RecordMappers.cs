using System.Globalization;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Import;

/// <summary>Wire record -> samples, validating at the edge: every problem names the field and why.</summary>
public static class RecordMappers
{
    public const int MaxTextLength = 100_000;

    public static ImportFormat Detect(JsonElement first) =>
        first.ValueKind != JsonValueKind.Object ? throw new InvalidDataException("The first record is not a JSON object.")
        : first.TryGetProperty("rejected_conversations", out _) ? ImportFormat.Povid
        : first.TryGetProperty("conversations", out _) ? ImportFormat.Llava
        : first.TryGetProperty("completions", out var completions) ? IsVlFeedback(completions) ? ImportFormat.VlFeedback : ImportFormat.Bpo
        : first.TryGetProperty("img_path", out _) && first.TryGetProperty("chosen", out _) ? ImportFormat.Mdpo
        : first.TryGetProperty("question", out _) && first.TryGetProperty("chosen", out _) ? ImportFormat.RlaifV
        : first.TryGetProperty("question", out _) ? ImportFormat.PromptOnly
        : throw new InvalidDataException("Cannot tell the format from the first record: expected 'conversations' (LLaVA), 'rejected_conversations' (POVID), " +
            "'completions' (BPO, VLFeedback), 'img_path' + 'chosen' (mDPO), 'question' + 'chosen' (RLAIF-V) or 'question' (prompt-only). " +
            "For other shapes choose the generic format with a field mapping.");

    public static IReadOnlyList<ImportedSample> Map(ImportFormat format, JsonElement record, string fallbackId, FieldMapping? mapping = null)
    {
        if (record.ValueKind != JsonValueKind.Object) throw new RecordException("the record is not a JSON object");
        return format switch
        {
            ImportFormat.Llava => Llava(record, fallbackId),
            ImportFormat.Bpo => [Bpo(record, fallbackId)],
            ImportFormat.PromptOnly => [PromptOnly(record, fallbackId)],
            ImportFormat.Generic => [PeerRecordMappers.Generic(record, fallbackId, mapping ?? throw new InvalidInputError("The generic format needs a field mapping."))],
            _ => PeerRecordMappers.Map(format, record, fallbackId),
        };
    }

    private static bool IsVlFeedback(JsonElement completions) =>
        completions.ValueKind == JsonValueKind.Array && completions.GetArrayLength() > 0 && completions[0].ValueKind == JsonValueKind.Object
        && completions[0].TryGetProperty("annotations", out _);

    private static List<ImportedSample> Llava(JsonElement record, string fallbackId)
    {
        var (id, generated) = Id(record, "id", fallbackId);
        var images = RecordImages.Read(record, "image");
        var turns = TurnPairs(record, "conversations");
        RecordImages.CheckPlaceholders(images, turns.Select(t => t.Human), "image");
        return [.. turns.Select(t => Sample(id, generated, t.Index, t.Human, images, [new ImportedResponse(t.Gpt, ResponseKind.Gt, 1)]))];
    }

    /// <summary>(turn index, human text, gpt text) for each exchange of a LLaVA-style conversation array.</summary>
    internal static List<(int Index, string Human, string Gpt)> TurnPairs(JsonElement record, string name)
    {
        if (!record.TryGetProperty(name, out var conversations) || conversations.ValueKind != JsonValueKind.Array)
            throw new RecordException($"'{name}' is missing or not an array");
        var turns = conversations.EnumerateArray().ToList();
        if (turns.Count < 2) throw new RecordException($"'{name}' needs at least one human turn and one gpt turn");
        var pairs = new List<(int, string, string)>();
        for (var i = 0; i + 1 < turns.Count; i += 2)
            pairs.Add((i / 2, Turn(turns[i], i, "human", name), Turn(turns[i + 1], i + 1, "gpt", name)));
        return pairs;
    }

    private static ImportedSample Bpo(JsonElement record, string fallbackId)
    {
        var prompt = RequiredString(record, "prompt");
        if (!record.TryGetProperty("completions", out var completions) || completions.ValueKind != JsonValueKind.Array)
            throw new RecordException("'completions' is missing or not an array");
        var responses = new List<ImportedResponse>();
        var index = 0;
        foreach (var completion in completions.EnumerateArray())
        {
            var where = $"completions[{index++}]";
            if (completion.ValueKind != JsonValueKind.Object) throw new RecordException($"{where} is not an object");
            var text = RequiredString(completion, "response", where);
            var type = RequiredString(completion, "type", where);
            if (!ResponseKindNames.TryParse(type, out var kind)) throw new RecordException($"{where}.type '{type}' is not one of gt, gt-rephrased, llm-hal, mllm-hal");
            double? score = completion.TryGetProperty("score", out var s) ? s.ValueKind == JsonValueKind.Number ? s.GetDouble()
                : throw new RecordException($"{where}.score is not a number") : null;
            responses.Add(new ImportedResponse(text, kind, score));
        }
        if (responses.Count == 0) throw new RecordException("'completions' is empty");
        var (id, generated) = Id(record, "id", fallbackId);
        return Sample(id, generated, 0, prompt, OptionalString(record, "image"), responses);
    }

    private static ImportedSample PromptOnly(JsonElement record, string fallbackId)
    {
        var (id, generated) = Id(record, "ds_question_id", fallbackId);
        var images = RecordImages.Read(record, "image_path") is { Count: > 0 } paths ? paths : RecordImages.Read(record, "image");
        return Sample(id, generated, 0, RequiredString(record, "question"), images, []);
    }

    internal static ImportedSample Sample(string id, bool idGenerated, int turn, string prompt, string? image, IReadOnlyList<ImportedResponse> responses)
    {
        var clean = CleanPrompt(prompt);
        return new ImportedSample(id, turn, clean, image, responses, clean == prompt ? null : prompt, idGenerated);
    }

    /// <summary>A sample with the record's images in order: the first in the columns every reader knows, the rest after it.</summary>
    internal static ImportedSample Sample(string id, bool idGenerated, int turn, string prompt, IReadOnlyList<ImportedImage> images, IReadOnlyList<ImportedResponse> responses) =>
        Sample(id, idGenerated, turn, prompt, images.Count == 0 ? null : images[0].Path, responses) with
        {
            ImageBytes = images.Count == 0 ? null : images[0].Bytes,
            MoreImages = images.Count > 1 ? images.Skip(1).ToList() : null,
        };

    private static string Turn(JsonElement turn, int index, string expectedRole, string array)
    {
        var where = $"{array}[{index}]";
        if (turn.ValueKind != JsonValueKind.Object) throw new RecordException($"{where} is not an object");
        var role = RequiredString(turn, "from", where);
        if (role != expectedRole) throw new RecordException($"{where}.from is '{role}' where '{expectedRole}' was expected (turns must alternate human, gpt)");
        return RequiredString(turn, "value", where);
    }

    // The placeholder marks where the image goes in the chat template; exports add their own.
    private static string CleanPrompt(string prompt) => prompt.Replace("<image>", "", StringComparison.Ordinal).Trim();

    internal static (string Id, bool Generated) Id(JsonElement record, string name, string fallback) =>
        !record.TryGetProperty(name, out var id) ? (fallback, true)
        : id.ValueKind switch
        {
            JsonValueKind.String => (id.GetString()!, false),
            JsonValueKind.Number => (id.GetRawText(), false),
            _ => throw new RecordException($"'{name}' is {id.ValueKind.ToString().ToLowerInvariant()}, not a string or number"),
        };

    internal static string RequiredString(JsonElement record, string name, string? parent = null) =>
        OptionalString(record, name, parent) ?? throw new RecordException($"'{Path(parent, name)}' is missing");

    internal static string? OptionalString(JsonElement record, string name, string? parent = null)
    {
        if (!record.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new RecordException($"'{Path(parent, name)}' is {value.ValueKind.ToString().ToLowerInvariant()}, not a string");
        var text = value.GetString()!;
        if (text.Length > MaxTextLength)
            throw new RecordException($"'{Path(parent, name)}' is {text.Length.ToString("N0", CultureInfo.InvariantCulture)} characters; the limit is {MaxTextLength:N0}");
        return text;
    }

    private static string Path(string? parent, string name) => parent is null ? name : $"{parent}.{name}";
}

public sealed class RecordException(string message) : Exception(message);
