namespace BpoStudio.Core.Datasets;

/// <summary>Where a response came from; wire names follow the BPO release (<c>gt</c>, <c>llm-hal</c>, ...).</summary>
public enum ResponseKind
{
    Gt,
    GtRephrased,
    LlmHal,
    MllmHal,
    Manual,

    /// <summary>
    /// The other half of an image pair: the ground-truth answer again, but under a weakened image (its provenance's
    /// <c>WeakenedImageHash</c>). The preference is over images: the answer is grounded in the original, not in this one.
    /// </summary>
    ImagePair,
}

public static class ResponseKindNames
{
    public static string ToWire(this ResponseKind kind) => kind switch
    {
        ResponseKind.Gt => "gt",
        ResponseKind.GtRephrased => "gt-rephrased",
        ResponseKind.LlmHal => "llm-hal",
        ResponseKind.MllmHal => "mllm-hal",
        ResponseKind.Manual => "manual",
        ResponseKind.ImagePair => "image-pair",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? wire, out ResponseKind kind)
    {
        // Exact wire names first: exports parse two per pair, a million pairs at a time.
        switch (wire)
        {
            case "gt": kind = ResponseKind.Gt; return true;
            case "llm-hal": kind = ResponseKind.LlmHal; return true;
            case "mllm-hal": kind = ResponseKind.MllmHal; return true;
        }
        switch (wire?.Trim().ToLowerInvariant())
        {
            case "gt": kind = ResponseKind.Gt; return true;
            case "gt-rephrased": kind = ResponseKind.GtRephrased; return true;
            case "llm-hal": kind = ResponseKind.LlmHal; return true;
            case "mllm-hal": kind = ResponseKind.MllmHal; return true;
            case "manual": kind = ResponseKind.Manual; return true;
            case "image-pair": kind = ResponseKind.ImagePair; return true;
            default: kind = default; return false;
        }
    }

    public static ResponseKind Parse(string wire) =>
        TryParse(wire, out var kind) ? kind : throw new FormatException($"Unknown response kind '{wire}'.");

    /// <summary>Chosen-side kinds: the ground truth and its paraphrases.</summary>
    public static bool IsPositive(this ResponseKind kind) => kind is ResponseKind.Gt or ResponseKind.GtRephrased;

    /// <summary>Pairs whose rejected side is this kind prefer one image over another for the same answer.</summary>
    public static bool IsImagePair(this ResponseKind kind) => kind == ResponseKind.ImagePair;
}
