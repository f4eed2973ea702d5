namespace BpoStudio.Core.Export.Formats;

/// <summary>
/// Everything one export format decides, in one place: its names, how it treats images and history, the rules its
/// trainer's loader adds to the shared ones, its writer and parts, its README and its extra files. Adding a format is
/// one class here (and its tests); the pipeline asks it, never switches on the format.
/// </summary>
public interface IExportFormat
{
    ExportFormat Format { get; }

    /// <summary>The name the CLI, the manifest and folder names use.</summary>
    string WireName { get; }

    string Title { get; }

    /// <summary>Images are files under images/ beside the data (else embedded in the data, or bytes inline).</summary>
    bool ReferencesImageFiles { get; }

    /// <summary>A later turn can carry the turns before it; false: it is written with its own question only.</summary>
    bool HoldsHistory => true;

    /// <summary>The texts go out exactly as stored (a lossless round trip), so the rules about texts are not applied.</summary>
    bool KeepsTextsAsTheyAre => false;

    /// <summary>The reading needs scores and source ids, which an approved version's snapshot rows do not hold.</summary>
    bool NeedsSourceColumns => false;

    /// <summary>Image types the target takes as they are; others are re-encoded. Null: any.</summary>
    IReadOnlySet<string>? AcceptedImageTypes => null;

    /// <summary>Records can carry an image pair: the rejected side's own (weakened) image beside the chosen side's.</summary>
    bool CarriesImagePairs => false;

    /// <summary>A record holds a sample's answers as a list (completions), which <c>--listwise</c> writes in rank order.</summary>
    bool HoldsLists => false;

    /// <summary>Records carry the responses' models, ratings and source order (<see cref="ExportSample.Feedback"/>).</summary>
    bool NeedsFeedback => false;

    /// <summary>Records can carry a pair's weight (<c>--weights</c>) and a scorer's score (<c>--scores</c>) as extra columns the trainer can read.</summary>
    bool WritesPairColumns => false;

    /// <summary>
    /// The file's columns are typed by a schema written with it, so a pair the scorer did not score carries nulls. JSON
    /// lines are typed by the loader from the file's first lines (datasets casts every later block to them, and a
    /// column of nulls cannot become numbers), so such a format leaves an unscored pair out instead.
    /// </summary>
    bool TypedColumns => false;

    /// <summary>Images go where the source put them among the texts (<see cref="ImagePlacement"/>), not only before the question.</summary>
    bool KeepsImagePlaces => false;

    /// <summary>How many images one record can hold (its trainer opens exactly one, or caps them); null: any number.</summary>
    int? MaxImages => null;

    /// <summary>The target takes 8-bit RGB or RGBA pixels only.</summary>
    bool NeedsRgbImages => false;

    /// <summary>The trainer's length limit in tokens as its script sets it (<c>model_max_length</c>), for formats whose trainer truncates; null: none.</summary>
    int? DefaultMaxLength => null;

    /// <summary>Whether the trainer, cutting at <paramref name="maxLength"/> tokens, would leave the pair's sides the same tokens.</summary>
    CutAlike CutAlike(ExportSample sample, ExportPair pair, int maxLength) => Formats.CutAlike.No;

    /// <summary>Why a text-only record cannot go out in this format (its trainer opens an image for every record); null: it can.</summary>
    string? NoImageReason => null;

    /// <summary>Why this pair would break the trainer's loader beyond the shared rules, or null.</summary>
    string? CheckPair(ExportSample sample, ExportPair pair, ExportedImage? image) => null;

    ExportWriter CreateWriter(string folder, string split);

    IExportPart CreatePart();

    /// <summary>A part for a file whose records share <paramref name="ratings"/> (formats that write ratings need it).</summary>
    IExportPart CreatePart(RatingScheme ratings) => CreatePart();

    /// <summary>A part for an export made with <paramref name="options"/> (a typed file's columns depend on what it asks for).</summary>
    IExportPart CreatePart(RatingScheme ratings, ExportOptions options) => CreatePart(ratings);

    /// <summary>What the format counts beyond the shared tallies, for the pairs written of one sample.</summary>
    void Count(ExportCounts counts, IReadOnlyList<ExportPair> written) { }

    string HowToLoad(string infoName, IReadOnlyList<string> dataFiles);

    /// <summary>What the README starts with before its title (a dataset card's YAML); empty for most.</summary>
    string ReadmeHeader(ExportCounts counts) => "";

    Task WriteExtraFilesAsync(string folder, string infoName, IReadOnlyList<string> dataFiles, CancellationToken ct) => Task.CompletedTask;

    public static bool HasValidation(IReadOnlyList<string> dataFiles) => dataFiles.Any(f => Path.GetFileName(f).StartsWith("validation", StringComparison.Ordinal));
}

public static class ExportFormatCatalog
{
    public static readonly IReadOnlyList<IExportFormat> All = [new TrlFormat(), new LlamaFactoryFormat(), new OpenAiFormat(), new BpoFormat(), new ParquetFormat(), new KtoFormat(), new MdpoFormat(), new SvcoFormat(), new VlFeedbackFormat(), new RlhfVFormat()];

    // Indexed by the enum: asked once per pair on the export's hot path.
    private static readonly IExportFormat[] ByFormat = [.. Enum.GetValues<ExportFormat>().Select(format => All.Single(f => f.Format == format))];

    public static IExportFormat For(ExportFormat format) => ByFormat[(int)format];
}
