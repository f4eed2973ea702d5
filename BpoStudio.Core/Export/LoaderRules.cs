using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export;

/// <summary>
/// The checks each trainer's loader applies (see docs: formats), run before a record is written. LLaMA-Factory skips
/// offending records silently and TRL crashes mid-epoch, so a failing record is left out and listed instead.
/// </summary>
public static class LoaderRules
{
    public const string ImagePlaceholder = "<image>";
    public static ReadOnlySpan<byte> ImagePlaceholderUtf8 => "<image>"u8;


    /// <summary>Why the sample as a whole cannot be exported, or null.</summary>
    public static string? CheckSample(ExportSample sample)
    {
        if (sample.ImageProblem is not null) return $"the image is flagged: {sample.ImageProblem}";
        if (sample.ImagePath is not null && sample.ImageHash is null) return $"the image '{sample.ImagePath}' was never stored";
        if (sample.Prompt.IsBlank) return "the prompt is empty";
        return null;
    }

    public static string TooManyImages(Formats.IExportFormat target, int images) =>
        $"the sample has {images} images; {target.WireName} records hold {(target.MaxImages == 1 ? "one" : $"at most {target.MaxImages}")}";

    /// <summary>Why this pair would break <paramref name="format"/>'s loader, or null when it is fine: the rules every format shares, then its own.</summary>
    public static string? CheckPair(ExportFormat format, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        var target = format.Describe();
        var imagePair = pair.Rejected.Kind.IsImagePair();
        if (imagePair && !target.CarriesImagePairs)
            return $"an image pair (the same answer under a weakened image): {target.WireName} records give both sides the same images, with no place for the rejected side's own (formats that carry image pairs: {string.Join(", ", ExportFormats.All.Where(f => f.Describe().CarriesImagePairs).Select(f => f.WireName()))})";
        // Checked once images are resolved (image is then set): before, the rules only decide whether to copy them.
        if (imagePair && image is not null && pair.RejectedImages is null)
            return pair.RejectedImageHashes is null ? "the image pair has no weakened image" : "the image pair's weakened image is not in the image store";
        if (sample.ImageCount > 1 && target.MaxImages is { } most && sample.ImageCount > most) return TooManyImages(target, sample.ImageCount);
        if (sample.ImageHash is null && target.NoImageReason is { } noImage) return noImage;
        if (pair.Chosen.Text.IsBlank) return "the chosen answer is empty";
        if (pair.Rejected.Text.IsBlank) return "the rejected answer is empty";
        if (target.KeepsTextsAsTheyAre) return target.CheckPair(sample, pair, image);
        // An image pair's sides share the answer on purpose: the preference is between the images.
        if (!imagePair && pair.Chosen.Text == pair.Rejected.Text) return "chosen and rejected are identical, which teaches nothing";
        if (pair.Chosen.Text.Contains(ImagePlaceholderUtf8)) return $"the chosen answer contains a literal {ImagePlaceholder}, which the loader would count as an image";
        if (pair.Rejected.Text.Contains(ImagePlaceholderUtf8)) return $"the rejected answer contains a literal {ImagePlaceholder}, which the loader would count as an image";
        if (sample.Prompt.Contains(ImagePlaceholderUtf8)) return $"the prompt contains a literal {ImagePlaceholder} besides the one the export adds";
        for (var i = 0; i < sample.Earlier.Count; i++)
            if (sample.Earlier[i].User.Contains(ImagePlaceholderUtf8) || sample.Earlier[i].Assistant.Contains(ImagePlaceholderUtf8))
                return $"turn {i + 1} of the conversation before this one contains a literal {ImagePlaceholder}";
        return target.CheckPair(sample, pair, image);
    }
}
