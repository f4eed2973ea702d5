using System.Text.Json.Serialization;

namespace BpoStudio.Core.Export;

[JsonConverter(typeof(JsonStringEnumConverter<ExportFormat>))]
public enum ExportFormat
{
    Trl,
    LlamaFactory,
    OpenAi,
    Bpo,
    Parquet,
    Kto,
    Mdpo,
    Svco,
    VlFeedback,
    RlhfV,
}

/// <summary>Which negatives of a sample become pairs in the export.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NegativeSelection>))]
public enum NegativeSelection
{
    All,
    OnePerMethod,
    BestRated,
}

/// <summary>Whether a later turn of a conversation carries the earlier turns (questions and ground-truth answers) as its context.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExportContext>))]
public enum ExportContext
{
    Full,
    None,
}

[JsonConverter(typeof(JsonStringEnumConverter<ImageEncoding>))]
public enum ImageEncoding
{
    Original,
    Jpeg,
    Png,
    Webp,
}

/// <param name="VersionNumber">The approved version to export; null exports the current accepted pairs as a draft.</param>
/// <param name="UseEditedTexts">Edited texts replace the originals (the default); false exports what was generated or imported.</param>
/// <param name="ValidationFraction">Share of samples (not pairs, so no sample leaks across splits) put in the validation split.</param>
/// <param name="MaxImageSide">Images with a longer side are downscaled and re-encoded.</param>
/// <param name="CopyImages">False writes image paths without copying files (benchmarks); such an export is not self-contained.</param>
/// <param name="Context">Full: a later turn's prompt holds the conversation before it; None: its own question only.</param>
/// <param name="Weights">Formats that can (TRL, Parquet) add each pair's weight from its error spans' severities.</param>
/// <param name="Listwise">Formats that hold a sample's candidates as a list (bpo, vlfeedback) write them in rank order:
/// chosen answers first, then negatives, each by the rating aspect when given, else by score.</param>
/// <param name="MaxLength">The trainer's length limit in tokens (its model_max_length), for formats whose trainer truncates
/// (svco, mdpo); null: the limit their scripts set.</param>
/// <param name="Scorer">Formats with score columns (TRL, Parquet) add <c>score</c> and <c>confidence</c> from this scorer's
/// newest score of each pair (<c>judge:&lt;model&gt;</c>, or the name a program pushed scores under).</param>
/// <param name="JudgeWeights">The weight column also carries the scorer's belief in pairs no person decided (<see cref="ExportWeights"/>).</param>
/// <param name="RatingAspect">With best-rated negatives: rank them by this rating aspect, or by the mean of the aspects
/// (<see cref="MeanAspect"/>), instead of by their score.</param>
public sealed record ExportOptions(
    int DatasetId,
    int? VersionNumber,
    ExportFormat Format,
    NegativeSelection Negatives = NegativeSelection.All,
    bool UseEditedTexts = true,
    double ValidationFraction = 0,
    int Seed = 42,
    int? MaxImageSide = null,
    ImageEncoding ImageEncoding = ImageEncoding.Original,
    bool CopyImages = true,
    bool WithoutBulkDecided = false,
    ExportContext Context = ExportContext.Full,
    bool Weights = false,
    string? RatingAspect = null,
    bool Listwise = false,
    bool Zip = true,
    int? MaxLength = null,
    string? Scorer = null,
    bool JudgeWeights = false)
{
    public const string MeanAspect = "mean";

    public bool IsDraft => VersionNumber is null;

    public void Validate()
    {
        if (ValidationFraction is < 0 or > 0.5) throw new InvalidInputError($"The validation share must be between 0 and 0.5; it was {ValidationFraction}.");
        if (MaxImageSide is < 16 or > 8192) throw new InvalidInputError($"The maximum image side must be between 16 and 8192 pixels; it was {MaxImageSide}.");
        if (RatingAspect is not null && Negatives != NegativeSelection.BestRated && !Listwise)
            throw new InvalidInputError($"A rating aspect ('{RatingAspect}') ranks negatives only with --negatives best-rated or --listwise.");
        if (Listwise && !Format.Describe().HoldsLists)
            throw new InvalidInputError($"{Format.WireName()} records hold one pair each, as its trainer's reader takes them; a ranked list of a sample's answers goes out with bpo or vlfeedback.");
        if (MaxLength is not null && Format.Describe().DefaultMaxLength is null)
            throw new InvalidInputError($"{Format.WireName()}'s trainer does not cut pairs at a length limit; --max-length applies to {string.Join(", ", ExportFormats.All.Where(f => f.Describe().DefaultMaxLength is not null).Select(f => f.WireName()))}.");
        if (MaxLength is < 16 or > 1_048_576) throw new InvalidInputError($"The length limit must be between 16 and 1048576 tokens; it was {MaxLength}.");
        if ((Weights || JudgeWeights) && !Format.Describe().WritesPairColumns)
            throw new InvalidInputError($"{Format.WireName()} has no column for pair weights; use one of {string.Join(", ", ExportFormats.All.Where(f => f.Describe().WritesPairColumns).Select(f => f.WireName()))}.");
        if (Scorer is not null && !Format.Describe().WritesPairColumns)
            throw new InvalidInputError($"{Format.WireName()} has no columns for scores; use one of {string.Join(", ", ExportFormats.All.Where(f => f.Describe().WritesPairColumns).Select(f => f.WireName()))}.");
        if (Scorer is not null && (string.IsNullOrWhiteSpace(Scorer) || Scorer.Length > 200)) throw new InvalidInputError("The scorer's name must be 1 to 200 characters.");
        if (JudgeWeights && Scorer is null) throw new InvalidInputError("Weights from the judge need the scorer whose scores they use (--scores <scorer>).");
    }
}

public static class ExportFormats
{
    public static readonly IReadOnlyList<ExportFormat> All = Enum.GetValues<ExportFormat>();

    public static string WireName(this ExportFormat format) => Formats.ExportFormatCatalog.For(format).WireName;

    public static string Title(this ExportFormat format) => Formats.ExportFormatCatalog.For(format).Title;

    public static Formats.IExportFormat Describe(this ExportFormat format) => Formats.ExportFormatCatalog.For(format);

    public static ExportFormat Parse(string text) => TryParse(text, out var format)
        ? format : throw new FormatException($"Unknown export format '{text}'; use one of {string.Join(", ", All.Select(f => f.WireName()))}.");

    public static bool TryParse(string text, out ExportFormat format)
    {
        // Only the names the CLI and the manifest use: "llamafactory" is refused with the list, not guessed at.
        foreach (var candidate in All)
        {
            if (!string.Equals(candidate.WireName(), text, StringComparison.OrdinalIgnoreCase)) continue;
            format = candidate;
            return true;
        }
        format = default;
        return false;
    }
}
