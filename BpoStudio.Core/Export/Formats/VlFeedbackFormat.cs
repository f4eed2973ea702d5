using System.Globalization;
using System.Text.Json;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Feedback;

namespace BpoStudio.Core.Export.Formats;

/// <summary>
/// VLFeedback's JSON lines (<c>id</c>, <c>prompt</c>, <c>models</c>, <c>completions[{annotations, model, response}]</c>,
/// <c>img_path</c>) as Silkie's <c>make_vlfeedback_paired_dataset</c> reads them: every two completions whose mean
/// rating differs make a pair, so the annotations must make exactly the accepted pairs (see <see cref="VlFeedbackLines"/>).
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
    public IExportPart CreatePart() => new VlFeedbackLines(RatingScheme.None);
    public IExportPart CreatePart(RatingScheme ratings) => new VlFeedbackLines(ratings);

    // run_dpo.py: img_path = sample['img_path'][sample_idx], for every record.
    public string? NoImageReason => "VLFeedback records need an image: Silkie's pairing reads img_path for every record, and a text-only one stops it";

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            VLFeedback format: a line per sample with its completions (the answers of its accepted pairs, in their
            source order) and each one's annotations {"{"}aspect: {"{"}Rating, Rationale{"}"}{"}"}; img_path is relative to images/.
            Silkie's trainer (run_dpo.py) pairs every two completions whose mean rating differs, the higher one chosen.
            Where a sample's ratings make exactly its accepted pairs they are written as they are (an approved version's:
            as they stood at approval). Otherwise the annotations are derived from the reviewers' decisions, so that
            Silkie builds those pairs and no other: each chosen answer gets its own record (id suffixed -alt1, -alt2 after
            the first), rated at the top of every aspect's scale, its accepted negatives at the bottom, ratings the same
            type as the source's (strings like "4" unless every source rating was a number). Such a completion keeps
            its own ratings, as JSON text, in source_annotations ("{"{"}{"}"}" when it has none, as a generated negative).
            Text-only samples are left out (Silkie reads an image for every record).
            Import it back with (source_annotations become the ratings again):
            BpoStudio import {dataFiles.FirstOrDefault() ?? "train.jsonl"} --dataset <name> --images images --format vlfeedback
            """;
}

/// <summary>
/// A record per sample, its answers as completions in source order (or rank order with <c>--listwise</c>). When the
/// ratings would make Silkie pair anything but the accepted pairs (a negative over another negative, answers it
/// cannot rate, ties), each chosen answer gets a record of its own with ratings derived from the decisions.
/// </summary>
public sealed class VlFeedbackLines(RatingScheme scheme) : JsonLinesPart
{
    private const string DerivedChosen = "Derived by BpoStudio from the reviewers' decisions: preferred to the other answers of this record.";
    private const string DerivedRejected = "Derived by BpoStudio from the reviewers' decisions: rejected for the preferred answer of this record.";
    private static readonly IReadOnlyList<RatingScale> FallbackAspects = [new("Preference", 0, 1)];

    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (pairs.Count == 0) return;
        var feedback = sample.Feedback;
        var completions = sample.Ranked is { } ranked ? [.. ranked] : InSourceOrder(pairs, feedback);
        if (SilkiePairs(completions, feedback)?.SetEquals(pairs.Select(p => (p.Chosen.ResponseId, p.Rejected.ResponseId))) == true)
        {
            Write(sample, image, completions, suffix: null, derivedChosen: null);
            return;
        }
        var rank = completions.Select((t, i) => (t.ResponseId, i)).ToDictionary(x => x.ResponseId, x => x.i);
        var group = 0;
        foreach (var byChosen in pairs.GroupBy(p => p.Chosen.ResponseId))
        {
            var texts = byChosen.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId)
                .OrderBy(t => rank.GetValueOrDefault(t.ResponseId, int.MaxValue)).ToList();
            Write(sample, image, texts, suffix: group++ == 0 ? null : $"alt{group - 1}", derivedChosen: byChosen.Key);
        }
    }

    private static List<ExportText> InSourceOrder(IReadOnlyList<ExportPair> pairs, SampleFeedback? feedback) =>
        [.. pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId)
            .OrderBy(t => feedback?.Responses.GetValueOrDefault(t.ResponseId)?.SourceIndex ?? int.MaxValue).ThenBy(t => t.ResponseId)];

    /// <summary>
    /// The pairs Silkie makes of these completions as written: <c>np.mean([float(anno[aspect]["Rating"]) for aspect in
    /// anno])</c> over the file's aspects (a missing one is null after pyarrow unifies the file, and float(None) stops the
    /// run), then <c>if avg_score1 > avg_score2 ... elif avg_score2 > avg_score1 ... else: continue</c>. Null when some
    /// completion cannot be rated that way.
    /// </summary>
    private HashSet<(long, long)>? SilkiePairs(List<ExportText> completions, SampleFeedback? feedback)
    {
        if (scheme.Aspects.Count == 0) return null;
        var means = new List<(long, double)>(completions.Count);
        foreach (var completion in completions)
        {
            var ratings = feedback?.Responses.GetValueOrDefault(completion.ResponseId)?.Ratings;
            if (ratings is null || ratings.Count != scheme.Aspects.Count) return null;
            var sum = 0.0;
            foreach (var aspect in scheme.Aspects)
            {
                if (ratings.FirstOrDefault(r => r.Aspect == aspect.Name)?.Value is not { } value) return null;
                sum += value;
            }
            means.Add((completion.ResponseId, sum / scheme.Aspects.Count));
        }
        return BpoLoader.Pairs(means);
    }

    private void Write(ExportSample sample, ExportedImage? image, List<ExportText> completions, string? suffix, long? derivedChosen)
    {
        var feedback = sample.Feedback;
        var json = Json;
        json.WriteStartObject();
        if (!sample.IdGenerated && sample.RecordId is not null) json.WriteString("id"u8, suffix is null ? sample.RecordId : $"{sample.RecordId}-{suffix}");
        json.WriteString(Names.Prompt, (sample.OriginalPrompt ?? sample.Prompt).Span);
        WriteModels(json, feedback?.ExtraJson);
        json.WriteStartArray(Names.Completions);
        foreach (var completion in completions)
        {
            var about = feedback?.Responses.GetValueOrDefault(completion.ResponseId);
            json.WriteStartObject();
            json.WritePropertyName("annotations"u8);
            if (derivedChosen is { } chosen)
            {
                WriteDerived(json, completion.ResponseId == chosen);
                json.WriteString("source_annotations"u8, SourceAnnotations(about?.Ratings ?? []));
            }
            else WriteAnnotations(json, about?.Ratings ?? [], scheme.AsStrings, sourceTypes: false);
            if (about?.Model is { } model) json.WriteString("model"u8, model);
            json.WriteString(Names.Response, completion.Text.Span);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (image is not null) json.WriteString("img_path"u8, image.RelativePath[(ExportImages.Folder.Length + 1)..]);
        json.WriteEndObject();
        EndLine();
    }

    private void WriteDerived(Utf8JsonWriter json, bool preferred)
    {
        json.WriteStartObject();
        foreach (var aspect in scheme.Aspects.Count > 0 ? scheme.Aspects : FallbackAspects)
        {
            json.WriteStartObject(aspect.Name);
            var value = preferred ? aspect.Max : aspect.Min;
            json.WritePropertyName("Rating"u8);
            if (scheme.AsStrings) json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
            else json.WriteNumberValue(value);
            json.WriteString("Rationale"u8, preferred ? DerivedChosen : DerivedRejected);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteAnnotations(Utf8JsonWriter json, IReadOnlyList<RatingValue> ratings, bool asStrings, bool sourceTypes)
    {
        json.WriteStartObject();
        foreach (var rating in ratings)
        {
            json.WriteStartObject(rating.Aspect);
            json.WritePropertyName("Rating"u8);
            WriteRating(json, rating, asStrings, sourceTypes);
            json.WriteString("Rationale"u8, rating.Rationale ?? "");
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    // As the source wrote it (in the file's own fields a number becomes its text in a file of strings); a rating a
    // reviewer set takes the file's type; a cleared one is "N/A", as VLFeedback marks an aspect it did not rate.
    private static void WriteRating(Utf8JsonWriter json, RatingValue rating, bool asStrings, bool sourceTypes)
    {
        if (rating.Raw is { } raw)
        {
            using var parsed = JsonDocument.Parse(raw);
            if (asStrings && !sourceTypes && parsed.RootElement.ValueKind == JsonValueKind.Number) json.WriteStringValue(parsed.RootElement.GetRawText());
            else parsed.RootElement.WriteTo(json);
        }
        else if (rating.Value is not { } value) json.WriteStringValue("N/A");
        else if (asStrings) json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        else json.WriteNumberValue(value);
    }

    // The completion's own ratings as JSON text: a string column takes any mix of types across the file.
    private string SourceAnnotations(IReadOnlyList<RatingValue> ratings)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) WriteAnnotations(json, ratings, scheme.AsStrings, sourceTypes: true);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
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
