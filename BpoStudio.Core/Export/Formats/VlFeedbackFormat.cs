using System.Text.Json;

namespace BpoStudio.Core.Export.Formats;

/// <summary>
/// VLFeedback's JSON lines (<c>id</c>, <c>prompt</c>, <c>models</c>, <c>completions[{annotations, model, response}]</c>,
/// <c>img_path</c>): a record per sample, its answers as completions in their source order, each with every aspect's
/// Rating and Rationale. A VLFeedback import exported again gives its records back: ratings as written ("N/A", "4"
/// or 4), the record's <c>models</c>, the prompt as written, <c>img_path</c> relative to images/.
/// </summary>
public sealed class VlFeedbackFormat : IExportFormat
{
    public ExportFormat Format => ExportFormat.VlFeedback;
    public string WireName => "vlfeedback";
    public string Title => "VLFeedback (completions with per-aspect ratings)";
    public bool ReferencesImageFiles => true;
    public bool HoldsHistory => false;
    public bool KeepsTextsAsTheyAre => true;
    public bool NeedsFeedback => true;
    public bool HoldsLists => true;
    public int? MaxImages => 1;
    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new VlFeedbackLines();

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            VLFeedback format: a line per sample with its completions (the answers of its accepted pairs, in their
            source order) and each one's annotations {"{"}aspect: {"{"}Rating, Rationale{"}"}{"}"}; img_path is relative to images/.
            Ratings are the current ones (an approved version's: as they stood when it was approved). Import it back with:
            BpoStudio import {dataFiles.FirstOrDefault() ?? "train.jsonl"} --dataset <name> --images images --format vlfeedback
            """;
}

public sealed class VlFeedbackLines : JsonLinesPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (pairs.Count == 0) return;
        var feedback = sample.Feedback;
        var completions = sample.Ranked ?? [.. pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId)
            .OrderBy(t => feedback?.Responses.GetValueOrDefault(t.ResponseId)?.SourceIndex ?? int.MaxValue).ThenBy(t => t.ResponseId)];
        var json = Json;
        json.WriteStartObject();
        if (!sample.IdGenerated && sample.RecordId is not null) json.WriteString("id"u8, sample.RecordId);
        json.WriteString(Names.Prompt, (sample.OriginalPrompt ?? sample.Prompt).Span);
        WriteModels(json, feedback?.ExtraJson);
        json.WriteStartArray(Names.Completions);
        foreach (var completion in completions)
        {
            var about = feedback?.Responses.GetValueOrDefault(completion.ResponseId);
            json.WriteStartObject();
            json.WriteStartObject("annotations"u8);
            foreach (var rating in about?.Ratings ?? [])
            {
                json.WriteStartObject(rating.Aspect);
                json.WritePropertyName("Rating"u8);
                // As the source wrote it while unchanged; a rating a reviewer set is a number, or "N/A" when cleared.
                if (rating.Raw is { } raw) json.WriteRawValue(raw, skipInputValidation: false);
                else if (rating.Value is { } value) json.WriteNumberValue(value);
                else json.WriteStringValue("N/A");
                json.WriteString("Rationale"u8, rating.Rationale ?? "");
                json.WriteEndObject();
            }
            json.WriteEndObject();
            if (about?.Model is { } model) json.WriteString("model"u8, model);
            json.WriteString(Names.Response, completion.Text.Span);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (image is not null) json.WriteString("img_path"u8, image.RelativePath[(ExportImages.Folder.Length + 1)..]);
        json.WriteEndObject();
        EndLine();
    }

    // {"vlfeedback":{"models":[...]}} as the import kept it.
    private static void WriteModels(Utf8JsonWriter json, string? extraJson)
    {
        if (extraJson is null) return;
        using var document = JsonDocument.Parse(extraJson);
        if (!document.RootElement.TryGetProperty("vlfeedback", out var vlf) || !vlf.TryGetProperty("models", out var models)) return;
        json.WritePropertyName("models"u8);
        models.WriteTo(json);
    }
}
