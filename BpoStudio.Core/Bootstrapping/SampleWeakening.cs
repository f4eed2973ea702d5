using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>
/// A sample's images with one or all of them weakened and stored: what the model looks at (weakened-image negatives)
/// or what the rejected side is shown with (image pairs). <see cref="Weakened"/> is the first weakened image, whose
/// transform, parameters and seed go in provenance.
/// </summary>
/// <param name="Images">Every image of the sample in order, each as stored, the weakened ones in place.</param>
/// <param name="WeakenedPngs">The weakened images' bytes by position (the others are in the store, untouched).</param>
/// <param name="Index">Which image (0-based) was weakened, on a sample with several when one was chosen; null when all were.</param>
public sealed record WeakenedSet(IReadOnlyList<string> Images, IReadOnlyDictionary<int, byte[]> WeakenedPngs, WeakenedImage Weakened, string Hash, int? Index,
    List<string>? MoreHashes, int SampleImages)
{
    /// <summary>Which images were weakened, for provenance: nothing to say on a one-image sample.</summary>
    public object? Scope => SampleImages < 2 ? null : Index is { } at ? new { image = at + 1, of = SampleImages } : new { images = "all", of = SampleImages };

    /// <summary>Provenance's parameters: the weakening, which images it acted on (several only), then what the caller adds (a model's sampling).</summary>
    public string ParametersJson(params (string Name, object? Value)[] extra)
    {
        var fields = new Dictionary<string, object?> { ["weakening"] = new { transform = Weakened.Transform, parameters = Weakened.Parameters, seed = Weakened.Seed } };
        if (Scope is { } scope) fields["scope"] = scope;
        foreach (var (name, value) in extra) fields[name] = value;
        return System.Text.Json.JsonSerializer.Serialize(fields);
    }

    public void WriteTo(GeneratorProvenance provenance)
    {
        provenance.WeakenedImageHash = Hash;
        provenance.WeakenedImageIndex = Index;
        provenance.MoreWeakenedImageHashes = MoreHashes;
    }
}

/// <summary>Weakens a sample's images, seeded: the first weakened image with the seed itself, so a one-image sample weakens as it always has.</summary>
public sealed class SampleWeakening(ImageWeakener weakener, ImageStore images, IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    /// <param name="image">Which image to weaken (1-based) on a sample with several; null weakens them all.</param>
    public async Task<(WeakenedSet? Set, string? Problem)> WeakenAsync(Sample sample, string transform, long seed, int? image, CancellationToken ct)
    {
        var hashes = sample.ImageHashes;
        if (hashes.Count == 0 || hashes.Any(h => !images.Exists(h))) return (null, "the sample has no stored image");
        // The choice is about samples with several images; a sample with one weakens it, whatever was chosen.
        if (hashes.Count > 1 && image is { } chosen && (chosen < 1 || chosen > hashes.Count))
            return (null, $"image {chosen} was chosen but the sample has {(hashes.Count == 1 ? "one image" : $"{hashes.Count} images")}");
        int[] targets = hashes.Count == 1 ? [0] : image is { } one ? [one - 1] : [.. Enumerable.Range(0, hashes.Count)];
        var result = hashes.ToArray();
        var pngs = new Dictionary<int, byte[]>();
        var weakened = new List<(WeakenedImage Image, string Hash)>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var i in targets)
        {
            var made = weakener.Weaken(await images.ReadAsync(hashes[i], ct), new WeakeningSpec(transform), seed + weakened.Count);
            var stored = await images.PutAsync(made.Png, ct);
            await db.AddIfMissingAsync(stored, clock.GetUtcNow().UtcDateTime, ct);
            (result[i], pngs[i]) = (stored.Hash, made.Png);
            weakened.Add((made, stored.Hash));
        }
        var more = weakened.Count > 1 ? weakened.Skip(1).Select(w => w.Hash).ToList() : null;
        var index = hashes.Count > 1 && targets.Length == 1 ? targets[0] : (int?)null;
        return (new WeakenedSet(result, pngs, weakened[0].Image, weakened[0].Hash, index, more, hashes.Count), null);
    }

    /// <summary>Every image's bytes in order, the weakened ones in place: what a model is shown. Image pairs need none of them.</summary>
    public async Task<IReadOnlyList<byte[]>> BytesAsync(WeakenedSet set, CancellationToken ct)
    {
        var bytes = new byte[set.Images.Count][];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = set.WeakenedPngs.TryGetValue(i, out var png) ? png : await images.ReadAsync(set.Images[i], ct);
        return bytes;
    }
}
