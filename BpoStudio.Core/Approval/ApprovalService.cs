using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Approval;

public sealed record VersionSummary(int Id, int DatasetId, int Number, string ContentHash, string ApprovedBy, DateTime ApprovedAt, string? Notes,
    int PairCount, bool Deprecated, string? DeprecationReason);

/// <summary>
/// Freezes a dataset's accepted pairs into numbered, immutable versions. Items are text snapshots copied in one
/// INSERT ... SELECT, so later edits to the live pairs never reach an approved version.
/// </summary>
public sealed class ApprovalService(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, Webhooks.WebhookService webhooks, TimeProvider clock)
{
    /// <param name="leaveOutMissingImages">Pairs whose image is flagged or was never stored stay out of the version (every export would leave them out anyway).</param>
    public async Task<VersionSummary> ApproveAsync(int datasetId, ClaimsPrincipal actor, string? notes, CancellationToken ct = default, bool leaveOutMissingImages = false)
    {
        actor.RequireLead("approve a dataset version");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetName = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"There is no dataset {datasetId}.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var number = 1 + (await db.DatasetVersions.Where(v => v.DatasetId == datasetId).MaxAsync(v => (int?)v.Number, ct) ?? 0);
        var version = new DatasetVersion
        {
            DatasetId = datasetId, Number = number, ContentHash = "", ApprovedBy = actor.DisplayName(), ApprovedAt = clock.GetUtcNow().UtcDateTime,
            Notes = WithSampledAcceptance(notes, await SampledAcceptanceSinceLastVersionAsync(db, datasetId, ct))
                + (leaveOutMissingImages && await MissingImagesAsync(db, datasetId, ct) is > 0 and var missing ? $" · {missing} pairs with a missing image left out" : ""),
        };
        db.DatasetVersions.Add(version);
        await db.SaveChangesAsync(ct);

        // Items go in in (sample, pair) order, the order exports read them in: a version's rows then lie in the table in
        // the order its index yields them, rather than in the order annotators were assigned pairs. The sample-id index
        // gives that order without sorting a million rows (the unary plus keeps SQLite off the dataset/status index).
        version.PairCount = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "DatasetVersionItems" ("DatasetVersionId", "PairId", "SampleId", "ImageHash", "Prompt", "ChosenText", "RejectedText",
                "ChosenKind", "RejectedKind", "RejectedMethod", "ChosenResponseId", "RejectedResponseId", "ChosenEdited", "RejectedEdited", "ImagePath", "ImageProblem", "DecisionSource", "MoreImageHashes")
            SELECT {version.Id}, p."Id", p."SampleId", s."ImageHash", s."Prompt", c."Text", r."Text", c."Kind", r."Kind", r."Method", c."Id", r."Id",
                c."PreviousVersionId" IS NOT NULL, r."PreviousVersionId" IS NOT NULL, s."SourceImagePath", s."ImageProblem", p."DecisionSource", s."MoreImageHashes"
            FROM "Pairs" p
            JOIN "Samples" s ON s."Id" = p."SampleId"
            JOIN "Responses" c ON c."Id" = p."ChosenResponseId"
            JOIN "Responses" r ON r."Id" = p."RejectedResponseId"
            WHERE +p."DatasetId" = {datasetId} AND p."Status" = {nameof(PairStatus.Accepted)}
                AND ({(leaveOutMissingImages ? 1 : 0)} = 0 OR (s."ImageProblem" IS NULL AND NOT (s."SourceImagePath" IS NOT NULL AND s."ImageHash" IS NULL)))
                AND p."SampleId" BETWEEN (SELECT min("Id") FROM "Samples" WHERE "DatasetId" = {datasetId}) AND (SELECT max("Id") FROM "Samples" WHERE "DatasetId" = {datasetId})
            ORDER BY p."SampleId", p."Id"
            """, ct);
        if (version.PairCount == 0) throw new ConflictError($"'{datasetName}' has no accepted pairs to approve.");
        await Feedback.PairWeights.FreezeAsync(db, datasetId, version.Id, ct);
        await Feedback.FrozenSpans.FreezeAsync(db, version.Id, ct);

        version.ContentHash = await ComputeHashAsync(db, version.Id, ct);
        var previous = await db.DatasetVersions.Where(v => v.DatasetId == datasetId && v.Id != version.Id && !v.Deprecated)
            .OrderByDescending(v => v.Number).FirstOrDefaultAsync(ct);
        if (previous?.ContentHash == version.ContentHash)
        {
            // The hash covers the training texts; spans and weights marked since still make a version worth having.
            if (!await FeedbackChangedAsync(db, previous.Id, version.Id, ct))
                throw new ConflictError($"Nothing changed since version {previous.Number} (same content hash); there is nothing new to approve.");
            version.Notes = $"Same pairs as version {previous.Number}; their error spans or weights changed." + (version.Notes is { Length: > 0 } n ? " " + n : "");
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), ApprovalAudit.Approve, $"{datasetName} v{number}", $"{version.PairCount} pairs, sha256 {version.ContentHash}", ct);
        await webhooks.RaiseAsync(Webhooks.WebhookEvents.VersionApproved, new { datasetId, dataset = datasetName, version = number, version.PairCount, version.ContentHash, approvedBy = actor.DisplayName() }, ct);
        return ToSummary(version);
    }

    private static Task<bool> FeedbackChangedAsync(BpoDbContext db, int previousId, int versionId, CancellationToken ct) => (
        from now in db.DatasetVersionItems
        where now.DatasetVersionId == versionId
        join before in db.DatasetVersionItems.Where(i => i.DatasetVersionId == previousId) on now.PairId equals before.PairId
        where now.Weight != before.Weight || now.ErrorSpansJson != before.ErrorSpansJson
        select now.Id).AnyAsync(ct);

    /// <summary>Accepted pairs whose image is flagged or was never stored: approval says how many, and may leave them out.</summary>
    public async Task<int> MissingImagesAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("see what an approval would hold");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await MissingImagesAsync(db, datasetId, ct);
    }

    private static Task<int> MissingImagesAsync(BpoDbContext db, int datasetId, CancellationToken ct) =>
        db.Pairs.CountAsync(p => p.DatasetId == datasetId && p.Status == PairStatus.Accepted
            && (p.Sample!.ImageProblem != null || (p.Sample.Source.ImagePath != null && p.Sample.ImageHash == null)), ct);

    // Strata accepted on a spot check's evidence since the last version: the version says on what figures it rests.
    private static async Task<List<string>> SampledAcceptanceSinceLastVersionAsync(BpoDbContext db, int datasetId, CancellationToken ct)
    {
        var since = await db.DatasetVersions.Where(v => v.DatasetId == datasetId).MaxAsync(v => (DateTime?)v.ApprovedAt, ct) ?? DateTime.MinValue;
        return await db.BulkActions.Where(b => b.DatasetId == datasetId && b.SpotCheckId != null && b.UndoneAt == null && b.CreatedAt > since)
            .OrderBy(b => b.Id).Select(b => "Bulk " + b.Id + ": " + b.Applied + (b.Operation == Triage.BulkOperation.Reject ? " pairs rejected on " : " pairs accepted on ") + b.Notes).ToListAsync(ct);
    }

    private static string? WithSampledAcceptance(string? notes, List<string> sampled)
    {
        var lines = new List<string>();
        if (!string.IsNullOrWhiteSpace(notes)) lines.Add(notes.Trim());
        lines.AddRange(sampled);
        return lines.Count == 0 ? null : string.Join("\n", lines);
    }

    public async Task DeprecateAsync(int versionId, ClaimsPrincipal actor, string reason, CancellationToken ct = default)
    {
        actor.RequireLead("deprecate a dataset version");
        if (string.IsNullOrWhiteSpace(reason)) throw new InvalidInputError("Say why the version is deprecated.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.DatasetVersions.FirstOrDefaultAsync(v => v.Id == versionId, ct) ?? throw new NotFoundError($"There is no version {versionId}.");
        if (version.Deprecated) throw new ConflictError($"Version {version.Number} is already deprecated.");
        (version.Deprecated, version.DeprecatedBy, version.DeprecatedAt, version.DeprecationReason) = (true, actor.DisplayName(), clock.GetUtcNow().UtcDateTime, reason.Trim());
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), ApprovalAudit.Deprecate, $"dataset {version.DatasetId} v{version.Number}", reason.Trim(), ct);
    }

    /// <summary>A version's id from its dataset and number, as people and scripts name versions.</summary>
    public async Task<int> IdOfAsync(int datasetId, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DatasetVersions.Where(v => v.DatasetId == datasetId && v.Number == number).Select(v => (int?)v.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"Dataset {datasetId} has no version {number}.");
    }

    public async Task<IReadOnlyList<VersionSummary>> ListAsync(int datasetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versions = await db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == datasetId).OrderByDescending(v => v.Number).ToListAsync(ct);
        return versions.Select(ToSummary).ToList();
    }

    /// <summary>Recomputes a version's hash from its stored items: equal to the recorded hash unless the rows were tampered with.</summary>
    public async Task<string> RecomputeHashAsync(int versionId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ComputeHashAsync(db, versionId, ct);
    }

    /// <summary>
    /// SHA-256 over every item in pair order; fields separated by U+001F, items ended by U+001E. A sample's later images
    /// follow its first after U+001D, only when it has any, so versions approved before samples had several keep their hash.
    /// </summary>
    private static async Task<string> ComputeHashAsync(BpoDbContext db, int versionId, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var items = db.DatasetVersionItems.AsNoTracking().Where(i => i.DatasetVersionId == versionId).OrderBy(i => i.PairId).AsAsyncEnumerable();
        var builder = new StringBuilder();
        await foreach (var i in items.WithCancellation(ct))
        {
            builder.Clear().AppendJoin('\u001f', i.PairId, i.SampleId, i.MoreImageHashes is null ? i.ImageHash : i.ImageHash + "\u001d" + i.MoreImageHashes, i.Prompt, i.ChosenKind, i.ChosenText, i.RejectedKind, i.RejectedMethod, i.RejectedText).Append('\u001e');
            hash.AppendData(Encoding.UTF8.GetBytes(builder.ToString()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static VersionSummary ToSummary(DatasetVersion v) =>
        new(v.Id, v.DatasetId, v.Number, v.ContentHash, v.ApprovedBy, v.ApprovedAt, v.Notes, v.PairCount, v.Deprecated, v.DeprecationReason);
}
