using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>
/// Bootstraps negatives for a dataset's samples in id order, a batch per transaction with the job's resume cursor,
/// so an interrupted job continues after the last committed sample and never duplicates a negative.
/// </summary>
public sealed class GenerationJobHandler(IDbContextFactory<BpoDbContext> dbFactory, ModelFreeInjector injector) : IJobHandler
{
    public const int BatchSize = 100;
    private const int AttemptsPerNegative = 6;

    public JobKind Kind => JobKind.Generate;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = GenerationParameters.Parse(context.ParametersJson);
        if (context.ResumeCursor is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await context.SetTotalAsync(await Candidates(db, parameters, after: 0).LongCountAsync(ct), ct);
        }

        var cursor = context.ResumeCursor ?? 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var batch = await Candidates(db, parameters, cursor).OrderBy(s => s.Id).Take(BatchSize)
                .Include(s => s.Responses).ToListAsync(ct);
            if (batch.Count == 0) return;

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var failed = 0;
            var created = new List<(Sample Sample, List<Response> Negatives)>();
            foreach (var sample in batch)
            {
                var (negatives, problem) = Generate(sample, parameters, context.JobId);
                if (problem is not null)
                {
                    context.RecordFailure(db, $"sample {sample.Id}", problem);
                    failed++;
                }
                db.Responses.AddRange(negatives);
                created.Add((sample, negatives));
            }
            await db.SaveChangesAsync(ct);
            foreach (var (sample, negatives) in created)
                db.Pairs.AddRange(PairBuilder.Build(sample.DatasetId, sample.Id, [.. sample.Responses.Where(r => r.Kind.IsPositive()), .. negatives]));
            cursor = batch[^1].Id;
            await context.AddProgressAsync(db, cursor, batch.Count, failed, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            context.Publish();
        }
    }

    private static IQueryable<Sample> Candidates(BpoDbContext db, GenerationParameters parameters, long after)
    {
        var query = db.Samples.Where(s => s.DatasetId == parameters.DatasetId && s.Id > after);
        return parameters.Filter == SampleFilter.WithoutNegatives
            ? query.Where(s => !s.Responses.Any(r => r.Kind != ResponseKind.Gt && r.Kind != ResponseKind.GtRephrased))
            : query;
    }

    private (List<Response> Negatives, string? Problem) Generate(Sample sample, GenerationParameters parameters, long jobId)
    {
        var truth = sample.Responses.Where(r => r.Kind == ResponseKind.Gt && r.PreviousVersionId is null).OrderBy(r => r.Id).FirstOrDefault();
        if (truth is null) return ([], "the sample has no ground-truth answer to rewrite");

        var seen = sample.Responses.Select(r => r.Text).ToHashSet();
        var negatives = new List<Response>();
        var problems = new List<string>();
        foreach (var method in parameters.Methods)
            for (var n = 0; n < method.Count; n++)
            {
                var made = false;
                for (var attempt = 0; attempt < AttemptsPerNegative && !made; attempt++)
                {
                    var seed = DeriveSeed(parameters.Seed, sample.Id, n, attempt);
                    var result = injector.Inject(truth.Text, seed, method.MaxEdits);
                    if (!result.Succeeded)
                    {
                        problems.Add(result.Failure!);
                        break;
                    }
                    if (!seen.Add(result.Text!)) continue;
                    negatives.Add(NewNegative(sample, result, method, seed, jobId));
                    made = true;
                }
            }
        return (negatives, problems.Count > 0 ? problems.Distinct().First() : null);
    }

    private static Response NewNegative(Sample sample, InjectionResult result, GenerationMethod method, long seed, long jobId) => new()
    {
        SampleId = sample.Id,
        Text = result.Text!,
        Kind = ResponseKind.LlmHal,
        Score = 0,
        CreatedAt = DateTime.UtcNow,
        Provenance = new GeneratorProvenance
        {
            Method = method.Method,
            Seed = seed,
            ParametersJson = JsonSerializer.Serialize(new { maxEdits = method.MaxEdits }),
            GeneratedAt = DateTime.UtcNow,
            ChangedSpansJson = JsonSerializer.Serialize(result.Spans),
            ExtraJson = JsonSerializer.Serialize(new { jobId }),
        },
    };

    // A stable mix of (job seed, sample, index, attempt): re-running a job reproduces its negatives.
    private static long DeriveSeed(long seed, long sampleId, int index, int attempt) =>
        unchecked(seed * 1_000_003 + sampleId * 8_191 + index * 131 + attempt);
}
