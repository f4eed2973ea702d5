using System.Text.Json;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Imaging;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>
/// Image-side preference pairs (mDPO, CHiP, S-VCO): the chosen side is the sample's image with its ground-truth
/// answer, the rejected side the same answer under the image weakened by a seeded transform. Nothing is generated
/// by a model, so a pair is reproducible from (image, transform, parameters, seed) alone.
/// </summary>
public sealed class ImagePairs(SampleWeakening weakening, TimeProvider clock)
{
    public const string Prefix = "image-pair:";

    public static IEnumerable<string> Methods => ImageWeakener.Transforms.Select(t => Prefix + t.Name);

    /// <summary>The rejected side for one (sample, method, seed), or null with the reason added (a transform without randomness gives one image whatever the seed).</summary>
    /// <param name="madeSoFar">Responses this job already made for the sample, not yet saved.</param>
    /// <param name="image">On a sample with several images, the one to weaken (1-based); null weakens them all.</param>
    public async Task<Response?> MakeAsync(Sample sample, Response truth, string method, long seed, long jobId, IReadOnlyCollection<Response> madeSoFar, List<string> problems,
        int? image, CancellationToken ct)
    {
        var (set, problem) = await weakening.WeakenAsync(sample, method[Prefix.Length..], seed, image, ct);
        if (set is null)
        {
            problems.Add($"{method}: {problem}");
            return null;
        }
        var original = sample.ImageHashes;
        if (set.Images.SequenceEqual(original) || sample.Responses.Concat(madeSoFar).Any(r => r.Kind.IsImagePair() && r.Provenance.WeakenedImages(original).SequenceEqual(set.Images)))
        {
            problems.Add($"{method}: the weakened image is identical to one the sample already has");
            return null;
        }
        var provenance = new GeneratorProvenance
        {
            Method = method,
            Seed = seed,
            ParametersJson = set.ParametersJson(),
            GeneratedAt = clock.GetUtcNow().UtcDateTime,
            ExtraJson = JsonSerializer.Serialize(new { jobId, chosenResponseId = truth.Id }),
        };
        set.WriteTo(provenance);
        return new Response
        {
            SampleId = sample.Id,
            Text = truth.Text,
            Kind = ResponseKind.ImagePair,
            Score = 0,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            Provenance = provenance,
        };
    }
}
