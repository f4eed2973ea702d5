using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Judging;

/// <summary>
/// Claims mode of the judge job: each rejected answer split into its sentences, each asked yes or no against the image
/// (RLAIF-V's way of scoring an answer by its claims). A batch of pairs per transaction with its checks and the job's
/// cursor, so a resumed run checks no answer twice; the false claims are offered as error spans on the review page.
/// </summary>
internal sealed class ClaimsRun(IDbContextFactory<BpoDbContext> dbFactory, JudgeClient client, ImageStore imageStore, TimeProvider clock)
{
    private const int BatchPairs = 32;

    public async Task RunAsync(JobContext context, JudgeParameters parameters, CancellationToken ct)
    {
        var scorer = JudgeServer.ScorerFor(client.Model);
        var prompt = JudgePrompt.ClaimsV1;
        if (context.ResumeCursor is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await context.SetTotalAsync(await Candidates(db, parameters, scorer, after: 0).LongCountAsync(ct), ct);
        }
        var cursor = context.ResumeCursor ?? 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var batch = await Candidates(db, parameters, scorer, cursor).OrderBy(p => p.Id).Take(BatchPairs)
                .Select(p => new { p.Id, p.RejectedResponseId, p.Sample!.Prompt, p.Sample.ImageHash, p.Sample.MoreImageHashes, Rejected = p.RejectedResponse!.Text }).ToListAsync(ct);
            if (batch.Count == 0) return;
            var images = new BatchImages(imageStore);
            var asked = new List<(long PairId, long ResponseId, Task<ClaimOutcome[]> Outcomes)>();
            foreach (var pair in batch.DistinctBy(p => p.RejectedResponseId)) // a negative in two pairs is checked once
            {
                var bytes = await images.OfAsync(pair.ImageHash, pair.MoreImageHashes, ct);
                asked.Add((pair.Id, pair.RejectedResponseId, Task.WhenAll(Claims.Split(pair.Rejected).Select(claim =>
                    client.CheckClaimAsync(bytes, pair.Prompt, claim, prompt, parameters.Samples, parameters.Seed ^ pair.RejectedResponseId ^ claim.Start, ct)))));
            }
            await Task.WhenAll(asked.Select(a => a.Outcomes));

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var failed = 0;
            foreach (var (pairId, responseId, task) in asked)
            {
                var outcomes = task.Result;
                foreach (var o in outcomes)
                {
                    db.ClaimChecks.Add(new ClaimCheck
                    {
                        DatasetId = parameters.DatasetId, PairId = pairId, ResponseId = responseId, Start = o.Claim.Start, Length = o.Claim.Length,
                        Text = o.Claim.Text.Length > 1000 ? o.Claim.Text[..1000] : o.Claim.Text, Holds = o.Holds, Votes = o.Votes, Unparsable = o.Unparsable,
                        Rationale = o.Rationale, Scorer = scorer, Template = prompt.Name, JobId = context.JobId, CreatedAt = now,
                    });
                    context.AddTokens(o.Tokens);
                }
                if (outcomes.Length > 0 && outcomes.All(o => o.Votes == 0))
                {
                    failed++;
                    context.RecordFailure(db, $"pair {pairId}", $"no reply about its {outcomes.Length} claims was a verdict (prose, broken JSON or a refusal); recorded as unparsable");
                }
            }
            await db.SaveChangesAsync(ct);
            await context.AddProgressAsync(db, batch[^1].Id, batch.Count - failed, failed, ct);
            await tx.CommitAsync(ct);
            context.Publish();
            cursor = batch[^1].Id;
        }
    }

    internal static IQueryable<PreferencePair> Candidates(BpoDbContext db, JudgeParameters parameters, string scorer, long after) =>
        db.Matching(parameters.DatasetId, parameters.Filter, PairStatus.Pending)
            .Where(p => p.Id > after && p.RejectedResponse!.Kind != ResponseKind.ImagePair)
            .Where(p => !db.ClaimChecks.Any(c => c.ResponseId == p.RejectedResponseId && c.Scorer == scorer && c.Template == JudgePrompt.ClaimsV1.Name));

    /// <summary>The claims of an answer the judge found false, for the review page's span suggestions.</summary>
    internal static async Task<List<ClaimCheck>> FalseClaimsAsync(BpoDbContext db, long responseId, CancellationToken ct) =>
        await FalseClaimsQuery.For(db)(db, responseId).ToListAsync(ct);

    // Compiled: the review page's error spans ask it for every pair.
    private static readonly CompiledPerModel<Func<BpoDbContext, long, IAsyncEnumerable<ClaimCheck>>> FalseClaimsQuery = new(() => EF.CompileAsyncQuery<BpoDbContext, long, ClaimCheck>((db, responseId) =>
        db.ClaimChecks.AsNoTracking().Where(c => c.ResponseId == responseId && c.Holds < 0.5).OrderBy(c => c.Start)));
}
