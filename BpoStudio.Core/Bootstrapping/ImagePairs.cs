using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>
/// Image-side preference pairs (mDPO, CHiP, S-VCO): the chosen side is the sample's image with its ground-truth
/// answer, the rejected side the same answer under the image weakened by a seeded transform. Nothing is generated
/// by a model, so a pair is reproducible from (image, transform, parameters, seed) alone.
/// </summary>
public sealed class ImagePairs(ImageWeakener weakener, ImageStore images, IDbContextFactory<BpoDbContext> dbFactory)
{
    public const string Prefix = "image-pair:";

    public static IEnumerable<string> Methods => ImageWeakener.Transforms.Select(t => Prefix + t.Name);

    /// <summary>The rejected side for one (sample, method, seed), or null with the reason added (a transform without randomness gives one image whatever the seed).</summary>
    /// <param name="madeSoFar">Responses this job already made for the sample, not yet saved.</param>
    public async Task<Response?> MakeAsync(Sample sample, Response truth, string method, long seed, long jobId, IReadOnlyCollection<Response> madeSoFar, List<string> problems, CancellationToken ct)
    {
        if (sample.ImageHash is null || !images.Exists(sample.ImageHash))
        {
            problems.Add($"{method}: the sample has no stored image");
            return null;
        }
        var weakened = weakener.Weaken(await images.ReadAsync(sample.ImageHash, ct), new WeakeningSpec(method[Prefix.Length..]), seed);
        var stored = await images.PutAsync(weakened.Png, ct);
        if (stored.Hash == sample.ImageHash || sample.Responses.Concat(madeSoFar).Any(r => r.Provenance.WeakenedImageHash == stored.Hash && r.Kind.IsImagePair()))
        {
            problems.Add($"{method}: the weakened image is identical to one the sample already has");
            return null;
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            await db.AddIfMissingAsync(stored, ct);
        return new Response
        {
            SampleId = sample.Id,
            Text = truth.Text,
            Kind = ResponseKind.ImagePair,
            Score = 0,
            CreatedAt = DateTime.UtcNow,
            Provenance = new GeneratorProvenance
            {
                Method = method,
                Seed = seed,
                ParametersJson = JsonSerializer.Serialize(new { weakening = new { transform = weakened.Transform, parameters = weakened.Parameters, seed = weakened.Seed } }),
                WeakenedImageHash = stored.Hash,
                GeneratedAt = DateTime.UtcNow,
                ExtraJson = JsonSerializer.Serialize(new { jobId, chosenResponseId = truth.Id }),
            },
        };
    }
}
