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
        : first.TryGetProperty("conversations", out _) ? ImportFormat.Llava
        : first.TryGetProperty("completions", out _) ? ImportFormat.Bpo
        : first.TryGetProperty("question", out _) ? ImportFormat.PromptOnly
        : throw new InvalidDataException("Cannot tell the format from the first record: expected 'conversations' (LLaVA), 'completions' (BPO) or 'question' (prompt-only).");

    public static IReadOnlyList<ImportedSample> Map(ImportFormat format, JsonElement record, string fallbackId)
    {
        if (record.ValueKind != JsonValueKind.Object) throw new RecordException("the record is not a JSON object");
        return format switch
        {
            ImportFormat.Llava => Llava(record, fallbackId),
            ImportFormat.Bpo => [Bpo(record, fallbackId)],
            _ => [PromptOnly(record, fallbackId)],
        };
    }

    private static List<ImportedSample> Llava(JsonElement record, string fallbackId)
    {
        var (id, generated) = Id(record, "id", fallbackId);
        var image = OptionalString(record, "image");
        if (!record.TryGetProperty("conversations", out var conversations) || conversations.ValueKind != JsonValueKind.Array)
            throw new RecordException("'conversations' is missing or not an array");
        var turns = conversations.EnumerateArray().ToList();
        if (turns.Count < 2) throw new RecordException("'conversations' needs at least one human turn and one gpt turn");
        var samples = new List<ImportedSample>();
        for (var i = 0; i + 1 < turns.Count; i += 2)
        {
            var (human, gpt) = (Turn(turns[i], i, "human"), Turn(turns[i + 1], i + 1, "gpt"));
            samples.Add(Sample(id, generated, i / 2, human, image, [new ImportedResponse(gpt, ResponseKind.Gt, 1)]));
        }
        return samples;
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
        return Sample(id, generated, 0, RequiredString(record, "question"), OptionalString(record, "image_path") ?? OptionalString(record, "image"), []);
    }

    private static ImportedSample Sample(string id, bool idGenerated, int turn, string prompt, string? image, IReadOnlyList<ImportedResponse> responses)
    {
        var clean = CleanPrompt(prompt);
        return new ImportedSample(id, turn, clean, image, responses, clean == prompt ? null : prompt, idGenerated);
    }

    private static string Turn(JsonElement turn, int index, string expectedRole)
    {
        var where = $"conversations[{index}]";
        if (turn.ValueKind != JsonValueKind.Object) throw new RecordException($"{where} is not an object");
        var role = RequiredString(turn, "from", where);
        if (role != expectedRole) throw new RecordException($"{where}.from is '{role}' where '{expectedRole}' was expected (turns must alternate human, gpt)");
        return RequiredString(turn, "value", where);
    }

    // The placeholder marks where the image goes in the chat template; exports add their own.
    private static string CleanPrompt(string prompt) => prompt.Replace("<image>", "", StringComparison.Ordinal).Trim();

    private static (string Id, bool Generated) Id(JsonElement record, string name, string fallback) =>
        !record.TryGetProperty(name, out var id) ? (fallback, true)
        : id.ValueKind switch
        {
            JsonValueKind.String => (id.GetString()!, false),
            JsonValueKind.Number => (id.GetRawText(), false),
            _ => throw new RecordException($"'{name}' is {id.ValueKind.ToString().ToLowerInvariant()}, not a string or number"),
        };

    private static string RequiredString(JsonElement record, string name, string? parent = null) =>
        OptionalString(record, name, parent) ?? throw new RecordException($"'{Path(parent, name)}' is missing");

    private static string? OptionalString(JsonElement record, string name, string? parent = null)
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
