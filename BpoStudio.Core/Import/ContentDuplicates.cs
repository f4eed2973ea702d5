using System.Security.Cryptography;
using System.Text;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Import;

/// <summary>
/// Records that repeat another's image, prompt and answers under a new id: within one import, and against the
/// dataset's samples showing the same image. They merge into that sample; a second sample would export its pairs twice.
/// </summary>
internal sealed class ContentDuplicates(int datasetId)
{
    private readonly Dictionary<UInt128, SampleRef> _first = [];
    private readonly HashSet<string> _loadedImages = [];

    /// <summary>A sample's images as one key part: the first (hash, or path when it was not stored), then the others.</summary>
    public static string? ImagesKey(string? first, IReadOnlyList<string>? more) => more is { Count: > 0 } ? string.Join(' ', [first ?? "", .. more]) : first;

    /// <summary>The prompt and the positive answers, hashed (by the import's reader, on its own core).</summary>
    public static UInt128 TextKeyOf(string prompt, IEnumerable<string> answers) => Hash(string.Join('\u001e', answers.Prepend(prompt)));

    /// <summary>The images (hashes, else paths) with the text's key.</summary>
    public static UInt128 KeyOf(string? image, UInt128 textKey) => image is null ? textKey : Hash($"{image}\u001e{textKey:x}");

    private static UInt128 Hash(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return new UInt128(BitConverter.ToUInt64(hash), BitConverter.ToUInt64(hash[8..]));
    }

    /// <summary>Learns the samples already stored with these images (one query for a batch).</summary>
    public async Task LoadAsync(BpoDbContext db, IEnumerable<string> imageHashes, CancellationToken ct)
    {
        var fresh = imageHashes.Where(_loadedImages.Add).ToList();
        if (fresh.Count == 0) return;
        // Driven by the image-hash index: filtering on the dataset (or ordering) in SQL lets SQLite walk the dataset's
        // samples instead and test each against the list, which grew with every import sharing its images (bench api).
        var stored = (await db.Samples.AsNoTracking().Where(s => fresh.Contains(s.ImageHash!))
            .Select(s => new
            {
                s.Id, s.DatasetId, s.ImageHash, s.MoreImageHashes, s.Prompt, s.Source.RecordId,
                Answers = s.Responses.Where(r => r.PreviousVersionId == null && (r.Kind == ResponseKind.Gt || r.Kind == ResponseKind.GtRephrased))
                    .OrderBy(r => r.Id).Select(r => r.Text).ToList(),
            }).ToListAsync(ct)).Where(s => s.DatasetId == datasetId).OrderBy(s => s.Id);
        foreach (var s in stored) _first.TryAdd(KeyOf(ImagesKey(s.ImageHash, s.MoreImageHashes), TextKeyOf(s.Prompt, s.Answers)), new SampleRef(s.Id, s.RecordId ?? $"sample {s.Id}"));
    }

    /// <summary>The sample this record repeats, or null (and this one is remembered as the first).</summary>
    public SampleRef? Repeats(UInt128 key, SampleRef candidate) => _first.TryAdd(key, candidate) ? null : _first[key];
}
