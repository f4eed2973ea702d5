namespace BpoStudio.Core.Storage;

/// <summary>Metadata of one image in the content-addressed store; the bytes live on disk under its hash.</summary>
public class StoredImage
{
    public required string Hash { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }
    public required string ContentType { get; set; }
    public long ByteSize { get; set; }
    public DateTime CreatedAt { get; set; }
}
