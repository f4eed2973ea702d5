using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Import;

public enum ImportFormat
{
    Llava,
    Bpo,
    PromptOnly,
    Povid,
    VlFeedback,
    RlaifV,
    Mdpo,
    Generic,
}

/// <summary>Import formats by the names the CLI, the API and the exports' READMEs use (kebab case, hyphens optional).</summary>
public static class ImportFormatNames
{
    public static string WireName(this ImportFormat format) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(format.ToString());

    public static ImportFormat Parse(string name)
    {
        // Hyphens aside, so the vlfeedback export's own README command (--format vlfeedback) reads it back as vl-feedback.
        static string Bare(string text) => text.Replace("-", "", StringComparison.Ordinal);
        foreach (var format in Enum.GetValues<ImportFormat>())
            if (string.Equals(Bare(format.WireName()), Bare(name.Trim()), StringComparison.OrdinalIgnoreCase)) return format;
        throw new InvalidInputError($"The format must be one of {string.Join(", ", Enum.GetValues<ImportFormat>().Select(f => f.WireName()))}, not '{name}'.", "format");
    }
}

/// <summary>Where a generic JSON record keeps each part; dotted paths reach into nested objects.</summary>
public sealed record FieldMapping(string Prompt, string? Chosen = null, string? Rejected = null, string? Image = null, string? Id = null)
{
    public IEnumerable<string> Paths => new[] { Prompt, Chosen, Rejected, Image, Id }.OfType<string>();
}

/// <param name="Model">The model that wrote it, when the source says (VLFeedback).</param>
/// <param name="ExtraJson">Source metadata kept as is, such as the completion's place in its record.</param>
/// <param name="Ratings">Per-aspect ratings with their rationales (VLFeedback).</param>
public sealed record ImportedResponse(string Text, ResponseKind Kind, double? Score, string? Model = null, string? ExtraJson = null, IReadOnlyList<ImportedRating>? Ratings = null);

/// <param name="Raw">The rating as written (a JSON number or string); <paramref name="Value"/> is null when it is not a number ("N/A").</param>
public sealed record ImportedRating(string Aspect, double? Value, string Raw, string? Rationale);

/// <summary>One (prompt, answers) unit read from a record; a multi-turn record gives one per turn.</summary>
/// <param name="OriginalPrompt">The prompt as written, kept only when cleaning changed it (for lossless round trips).</param>
/// <param name="IdGenerated">The record had no id of its own; RecordId is its position in the file.</param>
/// <param name="ImageBytes">Image bytes embedded in the record (RLAIF-V rows), stored instead of reading a path.</param>
/// <param name="MoreImages">The record's images after the first, in order (multi-image records).</param>
public sealed record ImportedSample(string RecordId, int Turn, string Prompt, string? ImagePath, IReadOnlyList<ImportedResponse> Responses,
    string? OriginalPrompt = null, bool IdGenerated = false, byte[]? ImageBytes = null, IReadOnlyList<ImportedImage>? MoreImages = null, string? ExtraJson = null)
{
    public IReadOnlyList<ImportedImage> Images => ImagePath is null && ImageBytes is null ? [] : [new ImportedImage(ImagePath, ImageBytes), .. MoreImages ?? []];

    private UInt128? _textKey;

    /// <summary>The prompt and positive answers hashed, for telling repeated content (<see cref="ContentDuplicates"/>).</summary>
    public UInt128 TextKey => _textKey ??= ContentDuplicates.TextKeyOf(Prompt, Responses.Where(r => r.Kind.IsPositive()).Select(r => r.Text));
}

/// <summary>A record that could not be imported: its line (JSONL) or index (JSON array) and why.</summary>
public sealed record RecordProblem(string Where, string Reason);

/// <param name="BytesRead">How far into the file the reader is, for progress and estimates.</param>
public sealed record ReadItem(IReadOnlyList<ImportedSample> Samples, RecordProblem? Problem, long BytesRead = 0);
