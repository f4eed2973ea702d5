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
public sealed class WeakenedImageNegatives(LocalModelCatalog local, RemoteVision remote, LlmBackend backend, ImageWeakener weakener, ImageStore images,
    IDbContextFactory<BpoDbContext> dbFactory)
{
    public async Task<Response?> GenerateAsync(Sample sample, string method, long seed, JobContext context, HashSet<string> seen, List<string> problems, CancellationToken ct)
    {
        if (local.VisionModel is null && !remote.IsAvailable)
        {
            problems.Add($"{method}: no vision-language model is configured (Generation:Local:VisionModel, or Generation:OpenAI:Vision)");
            return null;
        }
        if (sample.ImageHash is null || !images.Exists(sample.ImageHash))
        {
            problems.Add($"{method}: the sample has no stored image");
            return null;
        }
        var weakened = weakener.Weaken(await images.ReadAsync(sample.ImageHash, ct), new WeakeningSpec(method[LlmBackend.WeakenedImagePrefix.Length..]), seed);
        var stored = await images.PutAsync(weakened.Png, ct);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            await db.AddIfMissingAsync(stored, ct);

        var (text, tokens, modelName, provider, sampling, stopReason) = local.VisionModel is { } name
            ? await AnswerLocallyAsync(local.Open(name), sample.Prompt, weakened.Png, seed, ct)
            : await AnswerRemotelyAsync(sample.Prompt, weakened.Png, seed, ct);
        context.AddTokens(tokens);
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
                Model = modelName,
                ExecutionProvider = provider,
                ParametersJson = JsonSerializer.Serialize(new { weakening = new { transform = weakened.Transform, parameters = weakened.Parameters, seed = weakened.Seed }, sampling }),
                WeakenedImageHash = stored.Hash,
                GeneratedAt = DateTime.UtcNow,
                // The pair checks read stopReason: an answer cut at the token limit is a truncated negative.
                ExtraJson = JsonSerializer.Serialize(new { jobId = context.JobId, tokens, stopReason }),
            },
        };
    }

    private static async Task<(string Text, long Tokens, string Model, string Provider, object Sampling, string? StopReason)> AnswerLocallyAsync(LocalModel model, string prompt, byte[] png, long seed, CancellationToken ct)
    {
        var search = model.Manifest.Search;
        var settings = new SamplingSettings(search.Temperature, search.TopK, search.TopP, search.RepetitionPenalty, seed, search.MaxNewTokens);
        var answer = new StringBuilder();
        var tokens = 0;
        await foreach (var chunk in model.AnswerAsync(prompt, png, settings, ct))
        {
            answer.Append(chunk.Text);
            tokens = chunk.Tokens;
        }
        return (answer.ToString().Trim(), tokens, model.Name, model.Generator.Provider.Provider, settings, tokens >= settings.MaxNewTokens ? "max-tokens" : "eos");
    }

    private async Task<(string Text, long Tokens, string Model, string Provider, object Sampling, string? StopReason)> AnswerRemotelyAsync(string prompt, byte[] png, long seed, CancellationToken ct)
    {
        var (text, tokens) = await remote.AnswerAsync(prompt, png, seed, ct);
        return (text, tokens, backend.Model, backend.Provider, new { seed, remote = true }, null);
    }
}
