using System.Text.Json;
using System.Threading.Channels;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Generation;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>One weakened-image negative to make: the sample, the method (<c>weakened-image:transform</c>), which of its negatives, and the seed.</summary>
/// <param name="Image">On a sample with several images, the one to weaken (1-based); null weakens them all.</param>
public sealed record WeakenedImageTask(Sample Sample, string Method, int Index, long Seed, int? Image = null);

/// <summary>The model's answer from the weakened image(s), or why there is none.</summary>
public sealed record WeakenedImageAnswer(WeakenedImageTask Task, string? Text, string? Problem, long Tokens = 0, WeakenedSet? Weakened = null,
    string? Model = null, string? Provider = null, object? Sampling = null, string? StopReason = null);

/// <summary>
/// BPO's image-weakened prompting: weaken the sample's image (seeded), store the weakened image, and let the
/// vision-language model answer the prompt from it; the answer, driven by the model's language prior, is an
/// <c>mllm-hal</c> negative whose provenance names the weakened image, model, provider, seed and parameters.
/// A local model answers a whole chunk of samples in batches (<c>Generation:Local:BatchSize</c>) while the next
/// images are weakened beside it; a remote one answers one at a time.
/// </summary>
public sealed class WeakenedImageNegatives(LocalModelCatalog local, RemoteVision remote, LlmBackend backend, SampleWeakening weakening,
    IOptions<LocalModelOptions> localOptions, ILogger<WeakenedImageNegatives> logger)
{
    public async Task<IReadOnlyList<WeakenedImageAnswer>> AnswerAsync(IReadOnlyList<WeakenedImageTask> tasks, JobContext context, CancellationToken ct)
    {
        if (tasks.Count == 0) return [];
        if (local.VisionModel is null && !remote.IsAvailable)
            return [.. tasks.Select(t => new WeakenedImageAnswer(t, null, $"{t.Method}: no vision-language model is configured (Generation:Local:VisionModel, or Generation:OpenAI:Vision)"))];
        return local.VisionModel is { } name ? await AnswerLocallyAsync(local.Open(name), tasks, context, ct) : await AnswerRemotelyAsync(tasks, context, ct);
    }

    /// <summary>The negative for an answer, or null (with the reason added) when there is none or it repeats a response.</summary>
    public static Response? ToResponse(WeakenedImageAnswer answer, long jobId, HashSet<string> seen, List<string> problems, DateTime now)
    {
        var method = answer.Task.Method;
        if (answer.Problem is not null) problems.Add(answer.Problem);
        else if (string.IsNullOrEmpty(answer.Text)) problems.Add($"{method}: the model's answer was empty");
        else if (!seen.Add(answer.Text)) problems.Add($"{method}: the answer repeated an existing response");
        else
        {
            var weakened = answer.Weakened!;
            var response = new Response
            {
                SampleId = answer.Task.Sample.Id,
                Text = answer.Text,
                Kind = ResponseKind.MllmHal,
                Score = 0,
                CreatedAt = now,
                Provenance = new GeneratorProvenance
                {
                    Method = method,
                    Seed = answer.Task.Seed,
                    Model = answer.Model,
                    ExecutionProvider = answer.Provider,
                    ParametersJson = weakened.ParametersJson(("sampling", answer.Sampling)),
                    GeneratedAt = now,
                    // The pair checks read stopReason: an answer cut at the token limit is a truncated negative.
                    ExtraJson = JsonSerializer.Serialize(new { jobId, tokens = answer.Tokens, stopReason = answer.StopReason }),
                },
            };
            weakened.WriteTo(response.Provenance);
            return response;
        }
        return null;
    }

    private async Task<(WeakenedSet? Set, string? Problem)> WeakenAsync(WeakenedImageTask task, CancellationToken ct)
    {
        var (set, problem) = await weakening.WeakenAsync(task.Sample, task.Method[LlmBackend.WeakenedImagePrefix.Length..], task.Seed, task.Image, ct);
        return (set, problem is null ? null : $"{task.Method}: {problem}");
    }

    // A producer weakens, stores and preprocesses the images a little ahead of the decoder, which takes a prompt
    // whenever a row of its batch is free; answers come back in the order they finish.
    private async Task<IReadOnlyList<WeakenedImageAnswer>> AnswerLocallyAsync(LocalModel model, IReadOnlyList<WeakenedImageTask> tasks, JobContext context, CancellationToken ct)
    {
        var batch = BatchSizing.Resolve(localOptions.Value.BatchSize, model.Generator);
        var search = model.Manifest.Search;
        var answers = new WeakenedImageAnswer?[tasks.Count];
        var weakenedByTask = new WeakenedSet[tasks.Count];
        var ready = Channel.CreateBounded<GenerationRequest>(new BoundedChannelOptions(2 * batch) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < tasks.Count; i++)
                {
                    var task = tasks[i];
                    var (set, problem) = await WeakenAsync(task, stop.Token);
                    if (set is null)
                    {
                        answers[i] = new WeakenedImageAnswer(task, null, problem);
                        continue;
                    }
                    weakenedByTask[i] = set;
                    var settings = new SamplingSettings(search.Temperature, search.TopK, search.TopP, search.RepetitionPenalty, task.Seed, search.MaxNewTokens);
                    // Every image of the sample, the weakened ones in place, one tile each in order.
                    var shown = await weakening.BytesAsync(set, stop.Token);
                    var prompt = model.Encode(model.BuildPrompt(task.Sample.Prompt, shown.Count)).Select(id => (long)id).ToArray();
                    var pixels = shown.Count == 1 ? model.Preprocess(shown[0]) : [.. shown.SelectMany(model.Preprocess)];
                    await ready.Writer.WriteAsync(new GenerationRequest(prompt, settings, pixels, shown.Count, Tag: i), stop.Token);
                }
                ready.Writer.Complete();
            }
            catch (Exception ex)
            {
                ready.Writer.Complete(ex);
            }
        }, stop.Token);
        var generator = new BatchGenerator(model.Generator, batch);
        try
        {
            await foreach (var result in generator.RunAsync(ready.Reader, stop.Token))
            {
                var i = (int)result.Request.Tag!;
                context.AddTokens(result.Tokens.Count);
                answers[i] = new WeakenedImageAnswer(tasks[i], model.Decode(result.Tokens).Trim(), null, result.Tokens.Count, weakenedByTask[i],
                    model.Name, model.Generator.Provider.Provider, result.Request.Settings, result.Stop == Generation.StopReason.MaxTokens ? "max-tokens" : "eos");
            }
        }
        finally
        {
            await stop.CancelAsync(); // a failed decoder stops the producer too
            try
            {
                await producer;
            }
            catch (OperationCanceledException)
            {
            }
        }
        var stats = generator.Statistics;
        logger.LogInformation("{Sequences} answers in batches of {Batch} (average {Occupancy:0.0} rows): decode {Decode:0.0} s for {Tokens} tokens, prefill {Prefill:0.0} s, vision {Vision:0.0} s, cache upkeep {Upkeep:0.00} s ({InPlace} in place, {Rebuilds} rebuilds), waiting for images {Starved:0.0} s",
            stats.Sequences, batch, stats.Occupancy, stats.Decode.TotalSeconds, stats.DecodeTokens, stats.Prefill.TotalSeconds, stats.Vision.TotalSeconds,
            stats.CacheUpkeep.TotalSeconds, stats.InPlaceRefills, stats.Rebuilds, stats.Starved.TotalSeconds);
        return [.. answers.Select((a, i) => a ?? new WeakenedImageAnswer(tasks[i], null, $"{tasks[i].Method}: no answer came back"))];
    }

    private async Task<IReadOnlyList<WeakenedImageAnswer>> AnswerRemotelyAsync(IReadOnlyList<WeakenedImageTask> tasks, JobContext context, CancellationToken ct)
    {
        var answers = new List<WeakenedImageAnswer>(tasks.Count);
        foreach (var task in tasks)
        {
            var (set, problem) = await WeakenAsync(task, ct);
            if (set is null)
            {
                answers.Add(new WeakenedImageAnswer(task, null, problem));
                continue;
            }
            var (text, tokens) = await remote.AnswerAsync(task.Sample.Prompt, await weakening.BytesAsync(set, ct), task.Seed, ct);
            context.AddTokens(tokens);
            answers.Add(new WeakenedImageAnswer(task, text, null, tokens, set, backend.Model, backend.Provider, new { seed = task.Seed, remote = true }));
        }
        return answers;
    }
}
