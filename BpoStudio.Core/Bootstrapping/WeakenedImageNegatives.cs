using System.Text;
using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Generation;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>
/// BPO's image-weakened prompting: weaken the sample's image (seeded), store the weakened image, and let the local
/// vision-language model answer the prompt from it; the answer, driven by the model's language prior, is an
/// <c>mllm-hal</c> negative whose provenance names the weakened image, model, provider, seed and parameters.
/// </summary>
public sealed class WeakenedImageNegatives(LocalModelCatalog local, ImageWeakener weakener, ImageStore images, IDbContextFactory<BpoDbContext> dbFactory)
{
    public async Task<Response?> GenerateAsync(Sample sample, string method, long seed, JobContext context, HashSet<string> seen, List<string> problems, CancellationToken ct)
    {
        if (local.VisionModel is not { } name)
        {
            problems.Add($"{method}: no vision-language model is configured (Generation:Local:VisionModel)");
            return null;
        }
        if (sample.ImageHash is null || !images.Exists(sample.ImageHash))
        {
            problems.Add($"{method}: the sample has no stored image");
            return null;
        }
        var model = local.Open(name);
        var weakened = weakener.Weaken(await images.ReadAsync(sample.ImageHash, ct), new WeakeningSpec(method[LlmBackend.WeakenedImagePrefix.Length..]), seed);
        var stored = await images.PutAsync(weakened.Png, ct);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            await db.AddIfMissingAsync(stored, ct);

        var settings = new SamplingSettings(model.Manifest.Search.Temperature, model.Manifest.Search.TopK, model.Manifest.Search.TopP,
            model.Manifest.Search.RepetitionPenalty, seed, model.Manifest.Search.MaxNewTokens);
        var answer = new StringBuilder();
        var tokens = 0;
        await foreach (var chunk in model.AnswerAsync(sample.Prompt, weakened.Png, settings, ct))
        {
            answer.Append(chunk.Text);
            tokens = chunk.Tokens;
        }
        context.AddTokens(tokens);
        var text = answer.ToString().Trim();
        if (text.Length == 0)
        {
            problems.Add($"{method}: the model's answer was empty");
            return null;
        }
        if (!seen.Add(text))
        {
            problems.Add($"{method}: the answer repeated an existing response");
            return null;
        }
        return new Response
        {
            SampleId = sample.Id,
            Text = text,
            Kind = ResponseKind.MllmHal,
            Score = 0,
            CreatedAt = DateTime.UtcNow,
            Provenance = new GeneratorProvenance
            {
                Method = method,
                Seed = seed,
                Model = model.Name,
                ExecutionProvider = model.Generator.Provider.Provider,
                ParametersJson = JsonSerializer.Serialize(new { weakening = JsonDocument.Parse(weakened.ParametersJson).RootElement, sampling = settings }),
                WeakenedImageHash = stored.Hash,
                GeneratedAt = DateTime.UtcNow,
                ExtraJson = JsonSerializer.Serialize(new { jobId = context.JobId, tokens }),
            },
        };
    }
}
