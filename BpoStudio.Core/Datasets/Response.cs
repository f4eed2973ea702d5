namespace BpoStudio.Core.Datasets;

public class Response
{
    public long Id { get; set; }
    public long SampleId { get; set; }
    public Sample? Sample { get; set; }

    public required string Text { get; set; }
    public ResponseKind Kind { get; set; }

    /// <summary>Score as given by the source (BPO <c>score</c>, VLFeedback mean rating); kept for lossless round trips.</summary>
    public double? Score { get; set; }

    /// <summary>Set on an edited version: the response it replaces. Originals are never overwritten.</summary>
    public long? PreviousVersionId { get; set; }

    public GeneratorProvenance Provenance { get; set; } = new();
    public DateTime CreatedAt { get; set; }
}

/// <summary>Everything needed to reproduce or judge a generated response.</summary>
public class GeneratorProvenance
{
    /// <summary>e.g. <c>import:bpo</c>, <c>model-free-injection</c>, <c>weakened-image:diffusion-noise</c>, <c>edit</c>.</summary>
    public string? Method { get; set; }
    public string? ParametersJson { get; set; }
    public long? Seed { get; set; }
    public string? Model { get; set; }
    public string? ExecutionProvider { get; set; }
    public DateTime? GeneratedAt { get; set; }

    /// <summary>The weakened image an <c>mllm-hal</c> answer was generated from.</summary>
    public string? WeakenedImageHash { get; set; }

    /// <summary>
    /// On a sample with several images, which one (0-based) <see cref="WeakenedImageHash"/> replaced; null when every
    /// image was weakened, the rest then in <see cref="MoreWeakenedImageHashes"/>.
    /// </summary>
    public int? WeakenedImageIndex { get; set; }

    public List<string>? MoreWeakenedImageHashes { get; set; }

    /// <summary>The images this response goes with: the sample's, with the weakened one(s) in place.</summary>
    public IReadOnlyList<string> WeakenedImages(IReadOnlyList<string> sampleImages) =>
        WeakenedImages(sampleImages, WeakenedImageHash, WeakenedImageIndex, MoreWeakenedImageHashes);

    public static IReadOnlyList<string> WeakenedImages(IReadOnlyList<string> sampleImages, string? weakened, int? index, IReadOnlyList<string>? more)
    {
        if (weakened is null) return sampleImages;
        if (index is not { } at) return ImageList.All(weakened, more);
        var images = sampleImages.ToArray();
        if (at < images.Length) images[at] = weakened;
        return images;
    }

    /// <summary>Character spans the model-free injector changed, as JSON <c>[{start,length,original}]</c>.</summary>
    public string? ChangedSpansJson { get; set; }

    /// <summary>Free-form source metadata such as per-aspect ratings.</summary>
    public string? ExtraJson { get; set; }
}
