namespace BpoStudio.Core.Datasets;

/// <summary>One (image, prompt, ground truth) unit of work, with where it came from.</summary>
public class Sample
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public Dataset? Dataset { get; set; }

    /// <summary>SHA-256 of the image in the content-addressed store; null for text-only records.</summary>
    public string? ImageHash { get; set; }

    /// <summary>The record's later images, in order, for samples with several (interleaved, multi-image data).</summary>
    public List<string>? MoreImageHashes { get; set; }

    public IReadOnlyList<string> ImageHashes => ImageList.All(ImageHash, MoreImageHashes);

    /// <summary>Why the image could not be stored (missing, unreadable, outside the root); the record is kept.</summary>
    public string? ImageProblem { get; set; }

    public required string Prompt { get; set; }

    public SourceProvenance Source { get; set; } = new();
    public DateTime CreatedAt { get; set; }

    public List<Response> Responses { get; set; } = [];
}

public class SourceProvenance
{
    public string? File { get; set; }
    public string? RecordId { get; set; }
    public int? Turn { get; set; }

    /// <summary>The image path as written in the source file.</summary>
    public string? ImagePath { get; set; }

    /// <summary>The record's own fields that have no column here (VLFeedback's <c>models</c>), kept for round trips.</summary>
    public string? ExtraJson { get; set; }

    /// <summary>The later images' paths as written, in order.</summary>
    public List<string>? MoreImagePaths { get; set; }

    /// <summary>The prompt as written, when cleaning (removing <c>&lt;image&gt;</c>) changed it.</summary>
    public string? OriginalPrompt { get; set; }

    /// <summary>The record had no id of its own; <see cref="RecordId"/> is its position in the file.</summary>
    public bool IdGenerated { get; set; }
}
