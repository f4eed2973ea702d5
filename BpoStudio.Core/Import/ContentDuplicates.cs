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
    private readonly HashSet<string> _imagesMet = [], _imagesLoaded = [];
    private readonly HashSet<(string ImageHash, string Prompt)> _looked = [];

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

    /// <summary>Learns the dataset's stored samples that records with these images and prompts could repeat.</summary>
    public async Task LoadAsync(BpoDbContext db, IEnumerable<(string ImageHash, string Prompt)> batch, CancellationToken ct)
    {
        // Only a sample with the same image and prompt can be a repeat. An image met for the first time in this import is
        // looked up with its prompts (a push of new records meets most images once); met again, all the dataset's samples
        // showing it are loaded once, after which this import knows them (a file of many questions per picture). Loading
        // every sample of every image in each batch grew with the dataset wherever images are shared: bench api pushed
        // 1M records at 0.18x the file import's speed; looking up by prompt every time made a long file import pay it.
        var whole = new List<string>();
        var once = new List<(string ImageHash, string Prompt)>();
        foreach (var image in batch.Where(b => !_imagesLoaded.Contains(b.ImageHash)).GroupBy(b => b.ImageHash))
        {
            var metBefore = !_imagesMet.Add(image.Key);
            if (metBefore || image.Count() > 1) whole.Add(image.Key);
            else once.AddRange(image.Where(_looked.Add));
        }
        _imagesLoaded.UnionWith(whole);
        if (whole.Count == 0 && once.Count == 0) return;
        var images = once.Select(f => f.ImageHash).Distinct().ToList();
        var prompts = once.Select(f => f.Prompt).Distinct().ToList();
        // Each list is one array parameter (EF 10 binds one per item, which Microsoft.Data.Sqlite looks up by name in
        // turn), and the SQL has no ORDER BY, join or version filter: each made SQLite choose another index (the
        // dataset's, or every response's NULL version bucket) and read far more than the batch (EXPLAIN QUERY PLAN).
        var samples = new List<StoredSample>();
        if (whole.Count > 0)
            samples.AddRange(await db.Samples.AsNoTracking().Where(s => EF.Parameter(whole).Contains(s.ImageHash!) && s.DatasetId == datasetId)
                .Select(s => new StoredSample(s.Id, s.ImageHash, s.MoreImageHashes, s.Prompt, s.Source.RecordId)).ToListAsync(ct));
        if (once.Count > 0)
            samples.AddRange(await db.Samples.AsNoTracking().Where(s => EF.Parameter(images).Contains(s.ImageHash!) && s.DatasetId == datasetId && EF.Parameter(prompts).Contains(s.Prompt))
                .Select(s => new StoredSample(s.Id, s.ImageHash, s.MoreImageHashes, s.Prompt, s.Source.RecordId)).ToListAsync(ct));
        if (samples.Count == 0) return;
        var ids = samples.Select(s => s.Id).Distinct().ToList();
        var answers = (await db.Responses.AsNoTracking()
                .Where(r => EF.Parameter(ids).Contains(r.SampleId) && (r.Kind == ResponseKind.Gt || r.Kind == ResponseKind.GtRephrased))
                .Select(r => new { r.SampleId, r.Id, r.Text, r.PreviousVersionId }).ToListAsync(ct))
            .Where(r => r.PreviousVersionId == null).GroupBy(r => r.SampleId).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Id).Select(r => r.Text).ToList());
        foreach (var s in samples.OrderBy(s => s.Id))
            _first.TryAdd(KeyOf(ImagesKey(s.ImageHash, s.MoreImageHashes), TextKeyOf(s.Prompt, answers.GetValueOrDefault(s.Id) ?? [])), new SampleRef(s.Id, s.RecordId ?? $"sample {s.Id}"));
    }

    private sealed record StoredSample(long Id, string? ImageHash, List<string>? MoreImageHashes, string Prompt, string? RecordId);

    /// <summary>The sample this record repeats, or null (and this one is remembered as the first).</summary>
    public SampleRef? Repeats(UInt128 key, SampleRef candidate) => _first.TryAdd(key, candidate) ? null : _first[key];
}
