using System.Diagnostics;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Generation;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Benchmarks;

public sealed record GenerationJobFigure(int BatchSize, int Samples, long Answers, long Tokens, double Seconds)
{
    public double AnswersPerHour => Answers / Seconds * 3600;
    public double TokensPerSecond => Tokens / Seconds;
}

/// <summary>
/// The job-level figure of <c>bench generate --job-samples N</c>: a weakened-image generation job over N drawn
/// images, run through the real job runner, image store and database, with a random-weight model of SmolVLM's
/// layout (SmolLM2-135M's decoder, 64 image tokens per 512-pixel tile) answering 100 tokens each (random weights all but never say eos).
/// </summary>
public sealed class GenerationJobBenchmark(IDbContextFactory<BpoDbContext> dbFactory, ImageStore images, JobService jobs, JobRunner runner, LlmBackend backend)
{
    public const string ModelName = "bench-vlm";
    private const string Method = "weakened-image:diffusion-noise";

    /// <summary>SmolVLM-256M's decoder sizes with a one-tile image; special tokens placed inside the vocabulary.</summary>
    public static SyntheticModelSize Size => SyntheticModelSize.SmolLm2Like with { ImageSize = 512, ImageTokens = 64, ImageTokenId = 49000, EosTokenId = 49010 };

    public static void WriteModel(string modelsFolder)
    {
        var folder = Path.Combine(modelsFolder, ModelName);
        SyntheticModels.WriteSmolVlmFolder(folder, Size, seed: 1);
        SyntheticModels.WriteTinyTokenizer(Path.Combine(folder, "tokenizer.json"), Size);
        var manifest = ModelManifest.Load(folder) with { Search = new SearchDefaults(MaxNewTokens: 100) };
        File.WriteAllText(Path.Combine(folder, ModelManifest.FileName), JsonSerializer.Serialize(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
    }

    public async Task<GenerationJobFigure> RunAsync(int batchSize, int samples, CancellationToken ct = default)
    {
        var datasetId = await SeedAsync(samples, ct);
        var parameters = new GenerationParameters(datasetId, SampleFilter.All, [new GenerationMethod(Method)], Seed: 1).Validated(backend.AvailableMethods);
        var job = await jobs.CreateAsync(JobKind.Generate, datasetId, parameters.ToJson(), ActorChecks.CommandLine, ct);
        var clock = Stopwatch.StartNew();
        await runner.RunJobAsync(job.Id, ct);
        var seconds = clock.Elapsed.TotalSeconds;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var done = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job.Id, ct);
        if (done.Status != JobStatus.Completed) throw new InvalidOperationException($"The benchmark job ended {done.Status}: {done.Error}");
        var answers = await db.Responses.Where(r => r.Provenance.Method == Method).Select(r => r.Provenance.ExtraJson).ToListAsync(ct);
        var tokens = answers.Sum(extra =>
        {
            using var json = JsonDocument.Parse(extra!);
            return json.RootElement.GetProperty("tokens").GetInt64();
        });
        return new GenerationJobFigure(batchSize, samples, answers.Count, tokens, seconds);
    }

    private async Task<int> SeedAsync(int samples, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = new Dataset { Name = "bench generation", CreatedAt = DateTime.UtcNow, CreatedBy = "bench" };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        for (var i = 0; i < samples; i++)
        {
            var scene = DemoScene.Generate(seed: i);
            var stored = await images.PutAsync(scene.RenderPng(), ct);
            await db.AddIfMissingAsync(stored, DateTime.UtcNow, ct);
            var question = DemoQuestions.For(scene, seed: i)[0];
            var sample = new Sample { DatasetId = dataset.Id, ImageHash = stored.Hash, Prompt = question.Prompt, CreatedAt = DateTime.UtcNow, Source = new SourceProvenance { File = "bench", RecordId = $"b{i}" } };
            sample.Responses.Add(new Response { Text = question.Answer, Kind = ResponseKind.Gt, Score = 1, CreatedAt = DateTime.UtcNow, Provenance = new() { Method = "bench" } });
            db.Samples.Add(sample);
        }
        await db.SaveChangesAsync(ct);
        return dataset.Id;
    }
}
