using System.Globalization;
using System.Text.Json;
using BpoStudio.Core.Datasets;
using static BpoStudio.Core.Import.RecordMappers;

namespace BpoStudio.Core.Import;

/// <summary>Peers' preference data (docs: formats) and generic JSON with a field mapping.</summary>
public static class PeerRecordMappers
{
    public static IReadOnlyList<ImportedSample> Map(ImportFormat format, JsonElement record, string fallbackId) => format switch
    {
        ImportFormat.Povid => Povid(record, fallbackId),
        ImportFormat.VlFeedback => [VlFeedback(record, fallbackId)],
        ImportFormat.RlaifV => [RlaifV(record, fallbackId)],
        ImportFormat.Mdpo => [Mdpo(record, fallbackId)],
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>POVID: a LLaVA record whose <c>rejected_conversations</c> hold the dispreferred answer of each turn.</summary>
    private static List<ImportedSample> Povid(JsonElement record, string fallbackId)
    {
        var (id, generated) = Id(record, "id", fallbackId);
        var images = RecordImages.Read(record, "image");
        var chosen = TurnPairs(record, "conversations");
        RecordImages.CheckPlaceholders(images, chosen.Select(t => t.Human), "image");
        var rejected = TurnPairs(record, "rejected_conversations").ToDictionary(t => t.Index, t => t.Gpt);
        return chosen.Select(t =>
        {
            var responses = new List<ImportedResponse> { new(t.Gpt, ResponseKind.Gt, 1) };
            if (rejected.TryGetValue(t.Index, out var negative) && negative != t.Gpt) responses.Add(new ImportedResponse(negative, ResponseKind.LlmHal, 0));
            return Sample(id, generated, t.Index, t.Human, images, responses);
        }).ToList();
    }

    /// <summary>
    /// VLFeedback: the completion with the best mean rating is the chosen answer; the others are negatives. Every
    /// aspect's rating (as written, "N/A" too) and rationale is kept, with each completion's place and the record's
    /// <c>models</c>, so a VLFeedback export gives the record back. Where an export derived the annotations from decisions,
    /// the answer's own ratings come from its <c>source_annotations</c>.
    /// </summary>
    private static ImportedSample VlFeedback(JsonElement record, string fallbackId)
    {
        var (id, generated) = Id(record, "id", fallbackId);
        var prompt = RequiredString(record, "prompt");
        if (!record.TryGetProperty("completions", out var completions) || completions.ValueKind != JsonValueKind.Array)
            throw new RecordException("'completions' is missing or not an array");
        var rated = new List<(string Text, string? Model, double Mean, double Score, List<ImportedRating> Ratings)>();
        var index = 0;
        foreach (var completion in completions.EnumerateArray())
        {
            var where = $"completions[{index++}]";
            if (completion.ValueKind != JsonValueKind.Object) throw new RecordException($"{where} is not an object");
            var text = RequiredString(completion, "response", where);
            var annotations = Ratings(Annotations(completion, where), $"{where}.annotations");
            var numeric = annotations.Where(r => r.Value is not null).Select(r => r.Value!.Value).ToList();
            if (numeric.Count == 0) throw new RecordException($"{where}.annotations has no numeric Rating");
            // A BpoStudio export derives the annotations from decisions where the source's would pair other answers, and
            // keeps the answer's own ratings (none for a generated negative) as JSON text beside them.
            var ratings = completion.TryGetProperty("source_annotations", out var kept) && kept.ValueKind == JsonValueKind.String
                ? Ratings(Kept(kept.GetString()!, where), $"{where}.source_annotations") : annotations;
            var own = ratings.Where(r => r.Value is not null).Select(r => r.Value!.Value).ToList();
            rated.Add((text, OptionalString(completion, "model", where), numeric.Average(), own.Count > 0 ? own.Average() : numeric.Average(), ratings));
        }
        if (rated.Count < 2) throw new RecordException("'completions' needs at least two rated responses to make a pair");
        var best = rated.Index().MaxBy(r => r.Item.Mean).Index; // first of the best on ties
        var responses = rated.Select((r, i) => new ImportedResponse(r.Text, i == best ? ResponseKind.Gt : ResponseKind.MllmHal, r.Score, r.Model,
                JsonSerializer.Serialize(new { vlfeedback = new { index = i } }), r.Ratings))
            .OrderBy(r => r.Kind == ResponseKind.Gt ? 0 : 1).ToList();
        var extra = record.TryGetProperty("models", out var models) ? JsonSerializer.Serialize(new { vlfeedback = new { models } }) : null;
        return Sample(id, generated, 0, prompt, OptionalString(record, "img_path"), responses) with { ExtraJson = extra };
    }

    private static JsonElement Annotations(JsonElement completion, string where)
    {
        if (!completion.TryGetProperty("annotations", out var annotations) || annotations.ValueKind != JsonValueKind.Object)
            throw new RecordException($"{where}.annotations is missing or not an object");
        return annotations;
    }

    private static JsonElement Kept(string text, string where)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new RecordException($"{where}.source_annotations is not a JSON object");
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new RecordException($"{where}.source_annotations is not valid JSON: {ex.Message}");
        }
    }

    private static List<ImportedRating> Ratings(JsonElement annotations, string where)
    {
        var ratings = new List<ImportedRating>();
        foreach (var aspect in annotations.EnumerateObject())
        {
            if (aspect.Value.ValueKind != JsonValueKind.Object || !aspect.Value.TryGetProperty("Rating", out var rating)) continue;
            // Ratings come as numbers or numeric strings; "N/A" means the aspect was not rated.
            double? value = rating.ValueKind == JsonValueKind.Number ? rating.GetDouble()
                : rating.ValueKind == JsonValueKind.String && double.TryParse(rating.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            var rationale = aspect.Value.TryGetProperty("Rationale", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            if (aspect.Name.Length > 64) throw new RecordException($"{where} has an aspect name over 64 characters");
            if (rating.GetRawText().Length > 64) throw new RecordException($"{where}.{aspect.Name}.Rating is over 64 characters; a rating is a number or a short label");
            ratings.Add(new ImportedRating(aspect.Name, value, rating.GetRawText(), rationale));
        }
        return ratings;
    }

    /// <summary>RLAIF-V rows: question, chosen, rejected and the image as a path or as <c>{bytes, path}</c> with base64 bytes.</summary>
    private static ImportedSample RlaifV(JsonElement record, string fallbackId)
    {
        var (id, generated) = record.TryGetProperty("idx", out _) ? Id(record, "idx", fallbackId) : Id(record, "ds_question_id", fallbackId);
        if (!generated && OptionalString(record, "ds_name") is { } dataset) id = $"{dataset}/{id}";
        var images = RecordImages.Read(record, "image");
        // image_path names the (first) image's file when the image column holds only its bytes.
        if (OptionalString(record, "image_path") is { } path)
            images = images.Count == 0 ? [new ImportedImage(path)] : [images[0] with { Path = path }, .. images.Skip(1)];
        var question = RequiredString(record, "question");
        RecordImages.CheckPlaceholders(images, [question], "image");
        // Where the row came from, as RLAIF-V's data engine records it; an rlhf-v export writes it back.
        var origin = new Dictionary<string, string>();
        foreach (var field in new[] { "ds_name", "origin_dataset", "origin_split" })
            if (record.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
                origin[field] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        return Sample(id, generated, 0, question, images, Pair(record)) with { ExtraJson = origin.Count == 0 ? null : JsonSerializer.Serialize(new { rlaifv = origin }) };
    }

    /// <summary>mDPO: the prompt carries the full chat template; only the image placeholder is removed.</summary>
    private static ImportedSample Mdpo(JsonElement record, string fallbackId)
    {
        var (id, generated) = Id(record, "id", fallbackId);
        var images = RecordImages.Read(record, "img_path");
        var prompt = RequiredString(record, "prompt");
        RecordImages.CheckPlaceholders(images, [prompt], "img_path");
        return Sample(id, generated, 0, prompt, images, Pair(record));
    }

    public static ImportedSample Generic(JsonElement record, string fallbackId, FieldMapping mapping)
    {
        var (id, generated) = mapping.Id is { } idPath && Find(record, idPath) is { } idValue
            ? (idValue.ValueKind == JsonValueKind.String ? idValue.GetString()! : idValue.GetRawText(), false) : (fallbackId, true);
        var responses = new List<ImportedResponse>();
        if (mapping.Chosen is { } chosen) responses.Add(new ImportedResponse(Text(record, chosen, required: true)!, ResponseKind.Gt, 1));
        if (mapping.Rejected is { } rejected && Text(record, rejected, required: false) is { } negative) responses.Add(new ImportedResponse(negative, ResponseKind.LlmHal, 0));
        var images = mapping.Image is { } image ? RecordImages.Read(Find(record, image), image) : [];
        return Sample(id, generated, 0, Text(record, mapping.Prompt, required: true)!, images, responses);
    }

    private static List<ImportedResponse> Pair(JsonElement record) =>
        [new(RequiredString(record, "chosen"), ResponseKind.Gt, 1), new(RequiredString(record, "rejected"), ResponseKind.MllmHal, 0)];

    private static string? Text(JsonElement record, string path, bool required)
    {
        var value = Find(record, path);
        if (value is null || value.Value.ValueKind == JsonValueKind.Null)
            return required ? throw new RecordException($"'{path}' is missing") : null;
        if (value.Value.ValueKind != JsonValueKind.String) throw new RecordException($"'{path}' is {value.Value.ValueKind.ToString().ToLowerInvariant()}, not a string");
        var text = value.Value.GetString()!;
        return text.Length > MaxTextLength ? throw new RecordException($"'{path}' is {text.Length:N0} characters; the limit is {MaxTextLength:N0}") : text;
    }

    private static JsonElement? Find(JsonElement record, string path)
    {
        var current = record;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current;
    }
}
