using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>
/// Bootstraps negatives for a dataset's samples in id order, a batch per transaction with the job's resume cursor,
/// so an interrupted job continues after the last committed sample and never duplicates a negative.
/// </summary>
public sealed class GenerationJobHandler(IDbContextFactory<BpoDbContext> dbFactory, ModelFreeInjector injector, LlmBackend llm, PromptTemplates templates,
    WeakenedImageNegatives weakenedImages, ImagePairs imagePairs, IPairRecheck recheck, TimeProvider clock) : IJobHandler
{
    public const int BatchSize = 100;
    // A failure names the record as the lead knows it from the source file; the row id is kept to find it here.
    internal static string FailureKey(Sample sample)
    {
        var key = sample.Source.RecordId is { } record && !sample.Source.IdGenerated ? $"record {record}" : sample.Source.RecordId is { } line ? $"record #{line}" : $"sample {sample.Id}";
        if (sample.Source.Turn is > 0) key += $", turn {sample.Source.Turn + 1}";
        if (sample.Source.File is { } file) key += $" of {Path.GetFileName(file)}";
        return key.Length > 240 ? key[..240] : key + (sample.Source.RecordId is null ? "" : $" (sample {sample.Id})");
    }

    private const int AttemptsPerNegative = 6;

    public JobKind Kind => JobKind.Generate;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = GenerationParameters.Parse(context.ParametersJson, llm.AvailableMethods);
        var prompts = await templates.GetAsync(ct);
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

            // The chunk's weakened-image answers first, all together: a local model decodes them in batches.
            var answers = (await weakenedImages.AnswerAsync(WeakenedImageTasks(batch, parameters), context, ct))
                .ToDictionary(a => (a.Task.Sample.Id, a.Task.Method, a.Task.Index));
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var failed = 0;
            var created = new List<(Sample Sample, List<Response> Negatives)>();
            foreach (var sample in batch)
            {
                var (responses, problem) = await GenerateAsync(sample, parameters, context, prompts, answers, ct);
                if (problem is not null)
                {
                    context.RecordFailure(db, FailureKey(sample), problem);
                    failed++;
                }
                db.Responses.AddRange(responses);
                created.Add((sample, responses));
            }
            await db.SaveChangesAsync(ct);
            foreach (var (sample, responses) in created)
                db.Pairs.AddRange(PairBuilder.BuildNew(sample.DatasetId, sample.Id, sample.Responses, responses));
            cursor = batch[^1].Id;
            await context.AddProgressAsync(db, cursor, batch.Count, failed, ct);
            await db.SaveChangesAsync(ct);
            await recheck.RecheckSamplesAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), parameters.DatasetId, batch[0].Id, cursor, ct);
            await tx.CommitAsync(ct);
            context.Publish();
        }
    }

    private static IQueryable<Sample> Candidates(BpoDbContext db, GenerationParameters parameters, long after)
    {
        var query = db.Samples.Where(s => s.DatasetId == parameters.DatasetId && s.Id > after);
        return parameters.Filter switch
        {
            SampleFilter.WithoutNegatives => query.Where(s => !s.Responses.Any(r => r.Kind != ResponseKind.Gt && r.Kind != ResponseKind.GtRephrased)),
            SampleFilter.Selection => query.Where(s => parameters.SampleIds!.Contains(s.Id)),
            _ => query,
        };
    }

    private static List<WeakenedImageTask> WeakenedImageTasks(IEnumerable<Sample> samples, GenerationParameters parameters) =>
        [.. from sample in samples
            where Truth(sample) is not null
            from method in parameters.Methods
            where method.Method.StartsWith(LlmBackend.WeakenedImagePrefix, StringComparison.Ordinal)
            from n in Enumerable.Range(0, method.Count)
            select new WeakenedImageTask(sample, method.Method, n, DeriveSeed(parameters.Seed, sample.Id, n, 0), parameters.WeakenImage)];

    /// <summary>The ground-truth answer negatives are made from: the sample's first, as imported (not an edit of it).</summary>
    private static Response? Truth(Sample sample) =>
        sample.Responses.Where(r => r.Kind == ResponseKind.Gt && r.PreviousVersionId is null).OrderBy(r => r.Id).FirstOrDefault();

    private async Task<(List<Response> Responses, string? Problem)> GenerateAsync(Sample sample, GenerationParameters parameters, JobContext context, PromptSet prompts,
        Dictionary<(long, string, int), WeakenedImageAnswer> weakenedAnswers, CancellationToken ct)
    {
        var jobId = context.JobId;
        var truth = Truth(sample);
        if (truth is null) return ([], "the sample has no ground-truth answer to rewrite");

        var seen = sample.Responses.Select(r => r.Text).ToHashSet();
        var made = new List<Response>();
        var problems = new List<string>();
        foreach (var method in parameters.Methods)
            for (var n = 0; n < method.Count; n++)
            {
                var seed = DeriveSeed(parameters.Seed, sample.Id, n, 0);
                var response = method.Method == ModelFreeInjection.Method ? ModelFree(sample, truth, method, parameters.Seed, n, jobId, seen, problems)
                    : method.Method.StartsWith(ImagePairs.Prefix, StringComparison.Ordinal) ? await imagePairs.MakeAsync(sample, truth, method.Method, seed, jobId, made, problems, parameters.WeakenImage, ct)
                    : method.Method.StartsWith(LlmBackend.WeakenedImagePrefix, StringComparison.Ordinal) ? WeakenedImageNegatives.ToResponse(weakenedAnswers[(sample.Id, method.Method, n)], jobId, seen, problems, clock.GetUtcNow().UtcDateTime)
                    : await ByLlmAsync(sample, truth, method, seed, context, prompts, seen, problems, ct);
                if (response is not null) made.Add(response);
            }
        return (made, problems.Count > 0 ? string.Join("; ", problems.Distinct()) : null);
    }

    private Response? ModelFree(Sample sample, Response truth, GenerationMethod method, long jobSeed, int n, long jobId, HashSet<string> seen, List<string> problems)
    {
        for (var attempt = 0; attempt < AttemptsPerNegative; attempt++)
        {
            var seed = DeriveSeed(jobSeed, sample.Id, n, attempt);
            var result = injector.Inject(truth.Text, seed, method.MaxEdits);
            if (!result.Succeeded)
            {
                problems.Add(result.Failure!);
                return null;
            }
            if (seen.Add(result.Text!)) return NewNegative(sample, result, method, seed, jobId);
        }
        problems.Add("every attempt repeated an existing negative");
        return null;
    }

    private async Task<Response?> ByLlmAsync(Sample sample, Response truth, GenerationMethod method, long seed, JobContext context, PromptSet prompts,
        HashSet<string> seen, List<string> problems, CancellationToken ct)
    {
        var jobId = context.JobId;
        var injector = llm.Injector ?? throw new ConflictError($"Method '{method.Method}' needs the LLM backend, which is not configured.");
        var paraphrase = method.Method == LlmBackend.ParaphraseMethod;
        var result = paraphrase
            ? await injector.ParaphraseAsync(sample.Prompt, truth.Text, seed, prompts, ct)
            : await injector.InjectErrorsAsync(sample.Prompt, truth.Text, seed, prompts, ct);
        context.AddTokens(result.CompletionTokens);
        if (!result.Succeeded)
        {
            problems.Add($"{method.Method}: {result.Failure}");
            return null;
        }
        if (!seen.Add(result.Text!))
        {
            problems.Add($"{method.Method}: the reply repeated an existing response");
            return null;
        }
        return new Response
        {
            SampleId = sample.Id,
            Text = result.Text!,
            Kind = paraphrase ? ResponseKind.GtRephrased : ResponseKind.LlmHal,
            Score = paraphrase ? 1 : 0,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            Provenance = new GeneratorProvenance
            {
                Method = method.Method,
                Seed = seed,
                Model = result.Model,
                ExecutionProvider = llm.Provider,
                ParametersJson = JsonSerializer.Serialize(new { mode = result.Mode?.ToString(), attempts = result.Attempts }),
                GeneratedAt = clock.GetUtcNow().UtcDateTime,
                ExtraJson = JsonSerializer.Serialize(new { jobId }),
            },
        };
    }

    private Response NewNegative(Sample sample, InjectionResult result, GenerationMethod method, long seed, long jobId) => new()
    {
        SampleId = sample.Id,
        Text = result.Text!,
        Kind = ResponseKind.LlmHal,
        Score = 0,
        CreatedAt = clock.GetUtcNow().UtcDateTime,
        Provenance = new GeneratorProvenance
        {
            Method = method.Method,
            Seed = seed,
            ParametersJson = JsonSerializer.Serialize(new { maxEdits = method.MaxEdits }),
            GeneratedAt = clock.GetUtcNow().UtcDateTime,
            ChangedSpansJson = JsonSerializer.Serialize(result.Spans),
            ExtraJson = JsonSerializer.Serialize(new { jobId }),
        },
    };

    // A stable mix of (job seed, sample, index, attempt): re-running a job reproduces its negatives.
    private static long DeriveSeed(long seed, long sampleId, int index, int attempt) =>
        unchecked(seed * 1_000_003 + sampleId * 8_191 + index * 131 + attempt);
}
