using System.Security.Claims;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
using BpoStudio.Core.Triage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;

namespace BpoStudio.Core.Judging;

/// <param name="Filter">Which pairs (default: pending ones); image pairs are never sent (their answers are the same text).</param>
/// <param name="Samples">Replies asked per order; the confidence is the share of votes.</param>
/// <param name="Template">The prompt template; null: the dataset's (<see cref="JudgeTemplates"/>), fixed by name when the run starts.</param>
/// <param name="Mode">Pairwise (both answers, both orders) or claims (each sentence of the rejected answer, yes or no).</param>
public sealed record JudgeParameters(int DatasetId, PairFilter? Filter = null, int Samples = 1, long Seed = 1, string? Template = null, JudgeMode Mode = JudgeMode.Pairwise)
{
    public JudgeParameters Validated()
    {
        if (Samples is < 1 or > 16) throw new InvalidInputError($"--samples must be between 1 and 16; it was {Samples}.");
        return this;
    }

    /// <summary>These parameters with the template fixed by name, and its prompt.</summary>
    internal async Task<(JudgeParameters Parameters, JudgePrompt Prompt)> WithTemplateAsync(BpoDbContext db, CancellationToken ct)
    {
        if (Mode == JudgeMode.Claims) return (this with { Template = JudgePrompt.ClaimsV1.Name }, JudgePrompt.ClaimsV1);
        var prompt = await JudgeTemplates.ResolveAsync(db, DatasetId, Template ?? await JudgeTemplates.CurrentNameAsync(db, DatasetId, ct), ct);
        return (this with { Template = prompt.Name }, prompt);
    }
}

public enum JudgeMode
{
    Pairwise,
    Claims,
}

/// <summary>What a judge run would cost before it starts.</summary>
public sealed record JudgeDryRun(long Pairs, long Calls, long EstimatedTokens, string Model);

/// <summary>
/// Judges a dataset's pairs as a durable job: a batch of pairs per transaction with its scores, its findings and the
/// job's cursor, so an interrupted run resumes after the last committed pair and never judges a pair twice.
/// </summary>
public sealed class JudgeJobHandler(IDbContextFactory<BpoDbContext> dbFactory, JudgeServer server, ImageStore images, TimeProvider clock) : IJobHandler
{
    private const int MinBatchPairs = 64;

    public JobKind Kind => JobKind.Judge;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var parameters = JsonSerializer.Deserialize<JudgeParameters>(context.ParametersJson)?.Validated() ?? throw new InvalidDataException("The judge job has no parameters.");
        var client = server.Client ?? throw new ConflictError($"No judge is configured: {server.Unavailable}");
        if (parameters.Mode == JudgeMode.Claims)
        {
            await new ClaimsRun(dbFactory, client, images, clock).RunAsync(context, parameters, ct);
            return;
        }
        JudgePrompt prompt;
        await using (var lookup = await dbFactory.CreateDbContextAsync(ct))
            (parameters, prompt) = await parameters.WithTemplateAsync(lookup, ct);
        var scorer = JudgeServer.ScorerFor(client.Model);
        if (context.ResumeCursor is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await context.SetTotalAsync(await Candidates(db, parameters, scorer, after: 0).LongCountAsync(ct), ct);
        }
        // Calls of equal latency finish in waves of MaxConcurrency: a batch of whole waves (at least four) leaves no slot idle
        // at its end, when the batch waits for its last call before its write.
        var pairsPerWave = (server.MaxConcurrency + 2 * parameters.Samples - 1) / (2 * parameters.Samples);
        var batchPairs = (Math.Max(MinBatchPairs, 4 * pairsPerWave) + pairsPerWave - 1) / pairsPerWave * pairsPerWave;
        var cursor = context.ResumeCursor ?? 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var batch = await Candidates(db, parameters, scorer, cursor).OrderBy(p => p.Id).Take(batchPairs)
                .Select(p => new { p.Id, p.Sample!.Prompt, p.Sample.ImageHash, p.Sample.MoreImageHashes, Chosen = p.ChosenResponse!.Text, Rejected = p.RejectedResponse!.Text }).ToListAsync(ct);
            if (batch.Count == 0) return;
            var read = new BatchImages(images);
            var cases = new List<JudgeCase>();
            foreach (var pair in batch)
                cases.Add(new JudgeCase(pair.Id, pair.Prompt, pair.Chosen, pair.Rejected, await read.OfAsync(pair.ImageHash, pair.MoreImageHashes, ct)));
            var outcomes = await Task.WhenAll(cases.Select(c => client.JudgeAsync(c, prompt, parameters.Samples, parameters.Seed ^ c.PairId, ct)));

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var outcome in outcomes)
            {
                var tally = outcome.Tally;
                db.PairScores.Add(new PairScore
                {
                    DatasetId = parameters.DatasetId, PairId = outcome.PairId, Scorer = scorer, Template = prompt.Name, PreferChosen = tally.PreferChosen,
                    Confidence = tally.Confidence, OrdersDisagree = tally.OrdersDisagree, SawImage = outcome.SawImage, Unparsable = tally.Unparsable,
                    Votes = tally.Votes, Rationale = outcome.Rationale, Tokens = outcome.Tokens, JobId = context.JobId, CreatedAt = now,
                });
                if (tally.Votes == 0) context.RecordFailure(db, $"pair {outcome.PairId}", $"no reply of {2 * parameters.Samples} was a verdict (prose, broken JSON or a refusal); recorded as unparsable");
                context.AddTokens(outcome.Tokens);
            }
            await db.SaveChangesAsync(ct);
            await JudgeFindings.ReplaceAsync(db, parameters.DatasetId, [.. outcomes.Select(o => o.PairId)], outcomes.SelectMany(o => Findings(o.PairId, o.Tally, server.UncertainBelow)), ct);
            await context.AddProgressAsync(db, batch[^1].Id, outcomes.Count(o => o.Tally.Votes > 0), outcomes.Count(o => o.Tally.Votes == 0), ct);
            await tx.CommitAsync(ct);
            context.Publish();
            cursor = batch[^1].Id;
        }
    }

    /// <summary>The findings a tally raises: the rejected answer preferred in both orders; orders that disagree or a low confidence.</summary>
    private static IEnumerable<(long PairId, string CheckId, string Detail)> Findings(long pairId, JudgeTally tally, double uncertainBelow) =>
        FindingsOf(tally, uncertainBelow).Select(f => (pairId, f.CheckId, f.Detail));

    private static IEnumerable<(string CheckId, string Detail)> FindingsOf(JudgeTally tally, double uncertainBelow)
    {
        if (tally.Votes == 0) yield break;
        if (tally.PrefersRejected) yield return (JudgeFindings.PrefersRejected, $"prefers the rejected answer in both orders ({tally.PreferChosen:0.00} for the chosen)");
        if (tally.OrdersDisagree) yield return (JudgeFindings.Uncertain, "the verdict flips with the order of the answers");
        else if (tally.Confidence < uncertainBelow) yield return (JudgeFindings.Uncertain, $"confidence {tally.Confidence:0.00} below {uncertainBelow:0.00}");
    }

    internal static IQueryable<PreferencePair> Candidates(BpoDbContext db, JudgeParameters parameters, string scorer, long after) =>
        db.Matching(parameters.DatasetId, parameters.Filter, PairStatus.Pending)
            .Where(p => p.Id > after && p.RejectedResponse!.Kind != ResponseKind.ImagePair)
            .Where(p => !db.PairScores.Any(s => s.PairId == p.Id && s.Scorer == scorer && s.Template == parameters.Template));
}

/// <summary>
/// The configured judge, if any: the judge's server, else the generation server when it sees images, else the local
/// vision model (<c>Generation:Local:VisionModel</c>, one call at a time; it sees a sample's first image).
/// </summary>
public sealed class JudgeServer(IOptions<JudgeOptions> options, IOptions<LlmBackendOptions> generation, Generation.LocalModelCatalog local)
{
    private Lazy<(JudgeClient? Client, int MaxConcurrency, string? Problem)>? _resolved;

    private (JudgeClient? Client, int MaxConcurrency, string? Problem) Resolved =>
        LazyInitializer.EnsureInitialized(ref _resolved, () => new(Resolve))!.Value;

    private (JudgeClient? Client, int MaxConcurrency, string? Problem) Resolve()
    {
        if (options.Value.Resolve(generation.Value) is { } server)
            return (new JudgeClient(options.Value, server, TimeSpan.FromSeconds(options.Value.TimeoutSeconds)), server.MaxConcurrency, null);
        if (local.VisionModel is not { } name) return (null, 1, null);
        var settings = new LlmBackendOptions { Model = name, MaxConcurrency = 1, MaxAttempts = 1, MaxTokens = options.Value.MaxTokens, Temperature = options.Value.Temperature, TopP = 1, Vision = true };
        try
        {
            return (new JudgeClient(options.Value, settings, new Generation.LocalChatClient(local.Open(name)).AsChatCompletionService(), takesJsonSchema: false), 1, null);
        }
        catch (Exception ex) when (ex is Generation.ModelLoadException or IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or System.Text.Json.JsonException)
        {
            // A broken model folder is said where a judge is missing, instead of failing every page that asks for the judge.
            return (null, 1, $"the local vision model '{name}' (Generation:Local:VisionModel) could not be opened: {ex.Message}");
        }
    }

    public const string HowToSet = $"set {JudgeOptions.Section}:BaseUrl and :Model (a vision model), or a generation server that takes images (Generation:OpenAI:Vision), or a local vision model (Generation:Local:VisionModel).";

    /// <summary>Why there is no judge: what to set, or why the configured local model could not be opened.</summary>
    public string Unavailable => Resolved.Problem ?? HowToSet;

    public JudgeClient? Client => Resolved.Client;
    public double UncertainBelow => options.Value.UncertainBelow;
    public int MaxConcurrency => Resolved.MaxConcurrency;
    public int MaxTokens => options.Value.MaxTokens;

    public static string ScorerFor(string model) => $"judge:{model}";
}

/// <summary>Starting a judge run, or pricing it first: for leads, as the page, the CLI and the API call it.</summary>
public sealed class JudgeJobs(JobService jobs, JudgeServer server, IDbContextFactory<BpoDbContext> dbFactory)
{
    public async Task<Job> StartAsync(JudgeParameters parameters, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("run the judge");
        parameters = parameters.Validated();
        if (server.Client is null) throw new ConflictError($"No judge is configured: {server.Unavailable}");
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            (parameters, _) = await parameters.WithTemplateAsync(db, ct);
        return await jobs.CreateAsync(JobKind.Judge, parameters.DatasetId, JsonSerializer.Serialize(parameters), actor, ct);
    }

    /// <summary>How many pairs, calls and (roughly) tokens a run would take: a 512-pixel image costs about 800 tokens, text about one per 4 characters.</summary>
    public async Task<JudgeDryRun> DryRunAsync(JudgeParameters parameters, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("run the judge");
        parameters = parameters.Validated();
        var model = server.Client?.Model ?? throw new ConflictError($"No judge is configured: {server.Unavailable}");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        (parameters, var prompt) = await parameters.WithTemplateAsync(db, ct);
        if (parameters.Mode == JudgeMode.Claims) return await ClaimsDryRunAsync(db, parameters, prompt, model, ct);
        var sizes = await JudgeJobHandler.Candidates(db, parameters, JudgeServer.ScorerFor(model), 0)
            .Select(p => new { Text = p.Sample!.Prompt.Length + p.ChosenResponse!.Text.Length + p.RejectedResponse!.Text.Length, Images = p.Sample.ImageHash == null ? 0 : 1 }).ToListAsync(ct);
        var calls = sizes.Count * 2L * parameters.Samples;
        var perCall = sizes.Sum(s => (long)(s.Text + prompt.System.Length + prompt.User.Length) / 4 + s.Images * 800L + server.MaxTokens / 2);
        return new JudgeDryRun(sizes.Count, calls, perCall * 2 * parameters.Samples, model);
    }

    // A call per claim (sentence) of each rejected answer, k times.
    private async Task<JudgeDryRun> ClaimsDryRunAsync(BpoDbContext db, JudgeParameters parameters, JudgePrompt prompt, string model, CancellationToken ct)
    {
        var answers = await ClaimsRun.Candidates(db, parameters, JudgeServer.ScorerFor(model), 0)
            .Select(p => new { p.Sample!.Prompt, Rejected = p.RejectedResponse!.Text, Images = p.Sample.ImageHash == null ? 0 : 1 }).ToListAsync(ct);
        var claims = answers.Select(a => (a, Claims.Split(a.Rejected))).ToList();
        var calls = claims.Sum(c => (long)c.Item2.Count) * parameters.Samples;
        var tokens = claims.Sum(c => c.Item2.Sum(claim => (long)(c.a.Prompt.Length + claim.Length + prompt.System.Length + prompt.User.Length) / 4 + c.a.Images * 800L + server.MaxTokens / 2));
        return new JudgeDryRun(answers.Count, calls, tokens * parameters.Samples, model);
    }
}
