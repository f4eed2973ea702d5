using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BpoStudio.Core.Datasets;

/// <summary>
/// Brings the full-text index up to the rows a large import left behind (<see cref="SearchIndex"/>), a chunk per
/// transaction so reviewers' writes interleave. The web app runs it in the background: woken when an import ends,
/// and every few seconds in case one ended in another process or was killed (its hold then lapses). One-shot hosts
/// (the CLI) call <see cref="CatchUpAsync"/> themselves.
/// </summary>
public sealed class SearchIndexer(IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock, ILogger<SearchIndexer> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Asks the background loop to look now (an import in this process has ended).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) try { _wake.Release(); } catch (SemaphoreFullException) { } // woken already
    }

    /// <summary>Indexes the whole backlog not held by a live import (all of it with <paramref name="evenIfHeld"/>); gives the rows indexed.</summary>
    public async Task<long> CatchUpAsync(CancellationToken ct, bool evenIfHeld = false)
    {
        long total = 0;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var indexed = await SearchIndex.CatchUpChunkAsync(db, clock.GetUtcNow().UtcDateTime, evenIfHeld, ct);
            if (indexed == 0) return total;
            total += indexed;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(stoppingToken))
            if (!db.Database.IsSqlite()) return; // PostgreSQL keeps its indexes itself: nothing to catch up, ever
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var indexed = await CatchUpAsync(stoppingToken);
                if (indexed > 0) logger.LogInformation("Search index caught up: {Rows} prompts and answers indexed", indexed);
                await _wake.WaitAsync(Poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Catching up the search index failed; trying again shortly");
                await Task.Delay(Poll, stoppingToken);
            }
        }
    }
}
