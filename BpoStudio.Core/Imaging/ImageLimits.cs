namespace BpoStudio.Core.Imaging;

/// <summary>The <c>BpoStudio:Images</c> section: what an image may cost to decode.</summary>
public sealed class ImageLimits
{
    /// <summary>Images with more pixels are refused from their header, before any decoding (a 30000×30000 PNG is 875 KB on disk and 3.6 GB decoded).</summary>
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>How many decodes of images above <see cref="LargePixels"/> run at once; the rest wait.</summary>
    public int MaxConcurrentLargeDecodes { get; set; } = 2;

    public long LargePixels { get; set; } = 4_000_000;
}
