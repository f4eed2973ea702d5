using System.Collections.Concurrent;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Review;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Benchmarks;

public sealed record TeamRound(int Annotators, int Decisions, int Wasted, double DecisionsPerSecond, double ScaleToOne, LatencySummary DecideAndNext);

public sealed record TeamReviewBenchmarkResult(long Pairs, double ThinkMs, double SecondsPerRound, IReadOnlyList<TeamRound> Rounds);

/// <summary>
/// <c>bench review --annotators 1,10,50</c>: N reviewers at once through the services the page uses (the queue's serve
/// and reservation, the decision), each pausing a think time between pairs; decisions/s against one reviewer's in the
/// same run, wasted attempts (conflicts or pairs others completed), p95 of decide + serve next.
/// </summary>
public sealed class TeamReviewBenchmark(ReviewBenchmark seeder, ReviewQueue queue, ReviewService reviews)
{
    public async Task<TeamReviewBenchmarkResult> RunAsync(long pairs, IReadOnlyList<int> teams, TimeSpan think, TimeSpan perRound, CancellationToken ct = default)
    {
        var datasetId = await seeder.SeedAsync(pairs, ct);

        var rounds = new List<TeamRound>();
        foreach (var team in teams)
        {
            var round = await RoundAsync(datasetId, team, think, perRound, ct);
            var one = rounds.FirstOrDefault(r => r.Annotators == 1)?.DecisionsPerSecond ?? (team == 1 ? round.DecisionsPerSecond : double.NaN);
            rounds.Add(round with { ScaleToOne = round.DecisionsPerSecond / one });
        }
        return new TeamReviewBenchmarkResult(pairs, think.TotalMilliseconds, perRound.TotalSeconds, rounds);
    }

    private async Task<TeamRound> RoundAsync(int datasetId, int team, TimeSpan think, TimeSpan length, CancellationToken ct)
    {
        var latencies = new ConcurrentBag<double>();
        var wasted = 0;
        var decisions = 0;
        var round = Guid.NewGuid().ToString("N")[..6];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, team).Select(i => Task.Run(async () =>
        {
            var me = ActorChecks.OnBehalfOf($"bench-{round}-{i}", Roles.Annotator);
            var pair = await queue.ServeAsync(datasetId, me, ct: ct);
            while (pair is not null && watch.Elapsed < length)
            {
                await Task.Delay(think, ct);
                var current = pair;
                var started = watch.Elapsed;
                try
                {
                    await reviews.AcceptAsync(current.PairId, current.RowVersion, me, ct);
                    Interlocked.Increment(ref decisions);
                }
                catch (Exception ex) when (ex is ReviewConflictException or PairAlreadyDecidedException)
                {
                    Interlocked.Increment(ref wasted);
                }
                pair = await queue.ServeAsync(datasetId, me, ct: ct);
                latencies.Add((watch.Elapsed - started).TotalMilliseconds);
            }
            await queue.ReleaseAsync(datasetId, me, ct: ct);
        }, ct)));
        var seconds = watch.Elapsed.TotalSeconds;
        return new TeamRound(team, decisions, wasted, decisions / seconds, 1, LatencySummary.From(latencies.IsEmpty ? [0] : [.. latencies]));
    }
}
