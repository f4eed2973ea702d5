using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Triage.Checks;

/// <summary>One deterministic check of a pair. Returns a short detail when it fires, null when the pair passes.</summary>
public interface IPairCheck
{
    string Id { get; }
    string Description { get; }
    FindingSeverity DefaultSeverity { get; }

    /// <summary>Whether it needs what the checker finds across the dataset (<see cref="PairCheckInput.DuplicateOf"/>), so runs after that look-up.</summary>
    bool ComparesPairs => false;

    string? Check(PairCheckInput pair);
}

/// <summary>The finding ids, as stored and as the CLI and filters name them.</summary>
public static class CheckIds
{
    public const string Identical = "identical";
    public const string NearIdentical = "near-identical";
    public const string LengthRatio = "length-ratio";
    public const string Placeholder = "placeholder";
    public const string Refusal = "refusal";
    public const string Repetition = "repetition";
    public const string LanguageMismatch = "language-mismatch";
    public const string Truncated = "truncated";
    public const string Duplicate = "duplicate";
    public const string MissingImage = "missing-image";
    public const string NoChange = "no-change";
}

/// <summary>Thresholds of the checks (configuration section <c>Triage:Checks</c>).</summary>
public sealed class PairCheckOptions
{
    public const string Section = "Triage:Checks";

    /// <summary>Word-level similarity at or above which a negative is near-identical to the chosen answer.</summary>
    public double NearIdenticalThreshold { get; set; } = 0.95;

    public double MinLengthRatio { get; set; } = 0.5;
    public double MaxLengthRatio { get; set; } = 2.0;

    /// <summary>Share of the words a repeated loop must cover.</summary>
    public double RepetitionShare { get; set; } = 0.4;
}

/// <summary>What a check sees of one pair; the texts' word profiles are computed once and shared by every check.</summary>
public sealed class PairCheckInput(long pairId, string prompt, string chosen, string rejected, ResponseKind rejectedKind, string? rejectedMethod,
    string? rejectedExtraJson, string? imageHash, string? imageProblem, string? imagePath)
{
    private TextProfile? _chosen, _rejected;

    public long PairId => pairId;
    public string Prompt => prompt;
    public ResponseKind RejectedKind => rejectedKind;
    public string? RejectedMethod => rejectedMethod;
    public string? RejectedExtraJson => rejectedExtraJson;
    public string? ImageHash => imageHash;
    public string? ImageProblem => imageProblem;
    public string? ImagePath => imagePath;
    public TextProfile Chosen => _chosen ??= new TextProfile(chosen);
    public TextProfile Rejected => _rejected ??= new TextProfile(rejected);

    /// <summary>Set by the checker from the dataset: the lowest id of a pair with the same content, when that is another pair.</summary>
    public long? DuplicateOf { get; set; }
}
