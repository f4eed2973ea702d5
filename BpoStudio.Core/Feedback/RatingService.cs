using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Feedback;

/// <summary>Per-aspect ratings and rationales of responses: reviewers rate, leads define a dataset's aspects and scales.</summary>
public sealed class RatingService(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    public const int MaxRationaleLength = 4000;

    public async Task<IReadOnlyList<RatingAspect>> AspectsAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("see a dataset's rating aspects");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RatingAspects.AsNoTracking().Where(a => a.DatasetId == datasetId).OrderBy(a => a.Id).ToListAsync(ct);
    }

    public async Task<RatingAspect> DefineAspectAsync(int datasetId, string name, double min, double max, ClaimsPrincipal lead, CancellationToken ct = default)
    {
        lead.RequireLead("define rating aspects");
        name = name.Trim();
        if (name.Length is 0 or > 64) throw new InvalidInputError("An aspect needs a name of 1 to 64 characters.");
        if (!double.IsFinite(min) || !double.IsFinite(max) || min >= max) throw new InvalidInputError($"The scale must run from a lower to a higher number, not {min} to {max}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, ct)) throw new NotFoundError($"There is no dataset {datasetId}.");
        if (await db.RatingAspects.AnyAsync(a => a.DatasetId == datasetId && a.Name == name, ct)) throw new InvalidInputError($"The dataset already has an aspect '{name}'.");
        var aspect = new RatingAspect { DatasetId = datasetId, Name = name, Min = min, Max = max, CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = lead.DisplayName() };
        db.RatingAspects.Add(aspect);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(lead.DisplayName(), FeedbackAudit.RatingAspectDefined, $"dataset {datasetId}", $"{name} ({min}-{max})", ct);
        return aspect;
    }

    /// <summary>Each aspect's current rating of the response (null value when not rated), in the dataset's aspect order.</summary>
    public async Task<IReadOnlyList<RatingValue>> OfResponseAsync(long responseId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("see ratings");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await SheetAsync(db, await DatasetOfAsync(db, responseId, ct), responseId, ct)).Values;
    }

    /// <summary>
    /// A response's ratings beside its dataset's aspects and scales, for the review page: one query when the dataset has no
    /// aspects (most have none), two otherwise.
    /// </summary>
    public async Task<RatingSheet> SheetAsync(int datasetId, long responseId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("see ratings");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await SheetAsync(db, datasetId, responseId, ct);
    }

    private static async Task<RatingSheet> SheetAsync(BpoDbContext db, int datasetId, long responseId, CancellationToken ct)
    {
        var aspects = await AspectsQuery.For(db)(db, datasetId).ToListAsync(ct);
        if (aspects.Count == 0) return new RatingSheet([], []);
        var current = (await CurrentAsync(db, [responseId], null, ct)).GetValueOrDefault(responseId) ?? [];
        return new RatingSheet(aspects, [.. aspects.Select(a => current.FirstOrDefault(r => r.Aspect == a.Name) ?? new RatingValue(a.Name, null, null, null, default))]);
    }

    // Compiled: both sides' panels ask it for every pair the review page shows.
    private static readonly CompiledPerModel<Func<BpoDbContext, int, IAsyncEnumerable<RatingAspect>>> AspectsQuery = new(() => EF.CompileAsyncQuery<BpoDbContext, int, RatingAspect>((db, datasetId) =>
        db.RatingAspects.AsNoTracking().Where(a => a.DatasetId == datasetId).OrderBy(a => a.Id)));

    public async Task RateAsync(long responseId, string aspect, double? value, string? rationale, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireReviewer("rate responses");
        rationale = string.IsNullOrWhiteSpace(rationale) ? null : rationale.Trim();
        if (rationale?.Length > MaxRationaleLength) throw new InvalidInputError($"The rationale is longer than {MaxRationaleLength:N0} characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetId = await DatasetOfAsync(db, responseId, ct);
        var scale = await db.RatingAspects.AsNoTracking().FirstOrDefaultAsync(a => a.DatasetId == datasetId && a.Name == aspect, ct)
            ?? throw new InvalidInputError($"The dataset has no aspect '{aspect}'; a lead defines its aspects.");
        if (value is { } v && (!double.IsFinite(v) || v < scale.Min || v > scale.Max)) throw new InvalidInputError($"{aspect} is rated from {scale.Min} to {scale.Max}, not {v}.");
        db.ResponseRatings.Add(new ResponseRating
        {
            DatasetId = datasetId, ResponseId = responseId, Aspect = aspect, Value = value, Rationale = rationale, RatedBy = actor.DisplayName(), RatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The newest rating per (response, aspect), as of <paramref name="asOf"/> when given (an approved version's time).</summary>
    internal static async Task<Dictionary<long, List<RatingValue>>> CurrentAsync(BpoDbContext db, IReadOnlyCollection<long> responseIds, DateTime? asOf, CancellationToken ct)
    {
        if (responseIds.Count == 0) return [];
        var rows = await db.ResponseRatings.AsNoTracking().Where(r => responseIds.Contains(r.ResponseId) && (asOf == null || r.RatedAt <= asOf))
            .OrderBy(r => r.Id).ToListAsync(ct);
        return rows.GroupBy(r => r.ResponseId).ToDictionary(g => g.Key, g => g.GroupBy(r => r.Aspect)
            .Select(a => a.Last()).Select(r => new RatingValue(r.Aspect, r.Value, r.Rationale, r.RatedBy, r.RatedAt, r.Raw)).ToList());
    }

    /// <summary>After an edit: the ratings of the text it replaced carry over to the new version, as they stood.</summary>
    internal static async Task CarryAsync(BpoDbContext db, long originalId, long editedId, DateTime at, CancellationToken ct)
    {
        var current = (await CurrentAsync(db, [originalId], null, ct)).GetValueOrDefault(originalId);
        if (current is null) return;
        var datasetId = await DatasetOfAsync(db, originalId, ct);
        db.ResponseRatings.AddRange(current.Select(r => new ResponseRating
        {
            DatasetId = datasetId, ResponseId = editedId, Aspect = r.Aspect, Value = r.Value, Raw = r.Raw, Rationale = r.Rationale, RatedBy = r.RatedBy, RatedAt = at,
        }));
        await db.SaveChangesAsync(ct);
    }

    private static async Task<int> DatasetOfAsync(BpoDbContext db, long responseId, CancellationToken ct) =>
        await db.Responses.Where(r => r.Id == responseId).Select(r => (int?)r.Sample!.DatasetId).FirstOrDefaultAsync(ct)
        ?? throw new NotFoundError($"There is no response {responseId}.");
}
