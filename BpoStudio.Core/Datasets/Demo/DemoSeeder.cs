using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace BpoStudio.Core.Datasets.Demo;

/// <summary>Seeds "Demo shapes": drawn scenes, derived questions, model-free negatives and their pairs. Idempotent.</summary>
public sealed class DemoSeeder(IDbContextFactory<BpoDbContext> dbFactory, ImageStore images, ModelFreeInjector injector, IPairRecheck recheck, ILogger<DemoSeeder> logger, TimeProvider clock)
{
    public const string DatasetName = "Demo shapes";
    public const int SceneCount = 36;
    private const int NegativesPerSample = 2;

    public async Task<bool> SeedAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Datasets.AnyAsync(d => d.Name == DatasetName, ct)) return false;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dataset = new Dataset { Name = DatasetName, Description = "Drawn scenes with known shapes, colours, counts and positions.", CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = "seed" };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);

        for (var scene = 0; scene < SceneCount; scene++)
        {
            var drawn = DemoScene.Generate(seed: 1000 + scene);
            var stored = await images.PutAsync(drawn.RenderPng(), ct);
            await db.AddIfMissingAsync(stored, clock.GetUtcNow().UtcDateTime, ct);

            var questions = DemoQuestions.For(drawn, seed: scene);
            for (var turn = 0; turn < questions.Count; turn++)
                AddSample(db, dataset.Id, stored.Hash, questions[turn], scene, turn);
        }
        await db.SaveChangesAsync(ct);

        var samples = await db.Samples.Where(s => s.DatasetId == dataset.Id).Include(s => s.Responses).ToListAsync(ct);
        foreach (var sample in samples)
            db.Pairs.AddRange(PairBuilder.Build(dataset.Id, sample.Id, sample.Responses));
        await db.SaveChangesAsync(ct);
        await recheck.RecheckSamplesAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), dataset.Id, samples.Min(s => s.Id), samples.Max(s => s.Id), ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Seeded the demo dataset with {Samples} samples", samples.Count);
        return true;
    }

    private void AddSample(BpoDbContext db, int datasetId, string imageHash, DemoQuestion question, int scene, int turn)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var sample = new Sample
        {
            DatasetId = datasetId,
            ImageHash = imageHash,
            Prompt = question.Prompt,
            CreatedAt = now,
            Source = new SourceProvenance { File = "demo", RecordId = $"scene-{scene:D3}", Turn = turn },
        };
        sample.Responses.Add(new Response { Text = question.Answer, Kind = ResponseKind.Gt, Score = 1, CreatedAt = now, Provenance = new() { Method = "demo:scene" } });
        var seen = new HashSet<string> { question.Answer };
        for (var seed = 0L; seed < 8 && sample.Responses.Count <= NegativesPerSample; seed++)
        {
            var injected = injector.Inject(question.Answer, seed: scene * 100 + turn * 10 + seed);
            if (!injected.Succeeded || !seen.Add(injected.Text!)) continue;
            sample.Responses.Add(new Response
            {
                Text = injected.Text!,
                Kind = ResponseKind.LlmHal,
                Score = 0,
                CreatedAt = now,
                Provenance = new GeneratorProvenance
                {
                    Method = ModelFreeInjection.Method,
                    Seed = scene * 100 + turn * 10 + seed,
                    ParametersJson = """{"maxEdits":2}""",
                    GeneratedAt = now,
                    ChangedSpansJson = JsonSerializer.Serialize(injected.Spans),
                },
            });
        }
        db.Samples.Add(sample);
    }
}
