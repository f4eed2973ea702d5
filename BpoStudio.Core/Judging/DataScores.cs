using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Judging;

/// <summary>
/// Scores that came with imported data, as scorers beside the judge: <c>data:score</c> from the answers' own scores
/// (BPO's <c>score</c> field) and <c>data:ratings</c> from the mean of their numeric ratings (VLFeedback's aspects).
/// A pair's preference for the chosen answer is 1 when the data rates the chosen answer higher, 0 when lower, one half
/// when equal; its confidence is 1 (the data says so). So a lead can filter and calibrate by them, and find the pairs
/// whose own data prefers the negative.
/// </summary>
public static class DataScores
{
    public const string FromScores = "data:score";
    public const string FromRatings = "data:ratings";

    /// <summary>Scores the dataset's pairs made after <paramref name="afterPairId"/> that lack them, one statement per scorer.</summary>
    internal static async Task DeriveAsync(BpoDbContext db, int datasetId, long afterPairId, DateTime now, CancellationToken ct)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "PairScores" ("DatasetId", "PairId", "Scorer", "Template", "PreferChosen", "Confidence", "OrdersDisagree", "SawImage", "Unparsable", "Votes", "Rationale", "Tokens", "CreatedAt")
            SELECT p."DatasetId", p."Id", {FromScores}, '', CASE WHEN c."Score" > r."Score" THEN 1.0 WHEN c."Score" < r."Score" THEN 0.0 ELSE 0.5 END, 1.0, {false}, {false}, 0, 1,
                'the data scores the chosen answer ' || CAST(c."Score" AS TEXT) || ', the rejected ' || CAST(r."Score" AS TEXT), 0, {now}
            FROM "Pairs" p
            JOIN "Responses" c ON c."Id" = p."ChosenResponseId"
            JOIN "Responses" r ON r."Id" = p."RejectedResponseId"
            WHERE p."DatasetId" = {datasetId} AND p."Id" > {afterPairId} AND c."Score" IS NOT NULL AND r."Score" IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM "PairScores" s WHERE s."PairId" = p."Id" AND s."Scorer" = {FromScores})
            """, ct);
        // An answer's rating per aspect is its newest row; its mean over the aspects with a number.
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            WITH latest AS (
                SELECT MAX(rr."Id") AS "Id" FROM "ResponseRatings" rr
                WHERE rr."DatasetId" = {datasetId} AND rr."ResponseId" IN (SELECT p."ChosenResponseId" FROM "Pairs" p WHERE p."DatasetId" = {datasetId} AND p."Id" > {afterPairId}
                    UNION SELECT p."RejectedResponseId" FROM "Pairs" p WHERE p."DatasetId" = {datasetId} AND p."Id" > {afterPairId})
                GROUP BY rr."ResponseId", rr."Aspect"),
            mean AS (
                SELECT rr."ResponseId", AVG(rr."Value") AS "Value" FROM "ResponseRatings" rr JOIN latest l ON l."Id" = rr."Id"
                WHERE rr."Value" IS NOT NULL GROUP BY rr."ResponseId")
            INSERT INTO "PairScores" ("DatasetId", "PairId", "Scorer", "Template", "PreferChosen", "Confidence", "OrdersDisagree", "SawImage", "Unparsable", "Votes", "Rationale", "Tokens", "CreatedAt")
            SELECT p."DatasetId", p."Id", {FromRatings}, '', CASE WHEN c."Value" > r."Value" THEN 1.0 WHEN c."Value" < r."Value" THEN 0.0 ELSE 0.5 END, 1.0, {false}, {false}, 0, 1,
                'mean rating of the chosen answer ' || CAST(ROUND(CAST(c."Value" AS NUMERIC), 2) AS TEXT) || ', of the rejected ' || CAST(ROUND(CAST(r."Value" AS NUMERIC), 2) AS TEXT), 0, {now}
            FROM "Pairs" p
            JOIN mean c ON c."ResponseId" = p."ChosenResponseId"
            JOIN mean r ON r."ResponseId" = p."RejectedResponseId"
            WHERE p."DatasetId" = {datasetId} AND p."Id" > {afterPairId}
                AND NOT EXISTS (SELECT 1 FROM "PairScores" s WHERE s."PairId" = p."Id" AND s."Scorer" = {FromRatings})
            """, ct);
    }

    /// <summary>The newest pair id, before an import: the pairs after it are the import's.</summary>
    internal static async Task<long> LastPairIdAsync(BpoDbContext db, CancellationToken ct) => await db.Pairs.MaxAsync(p => (long?)p.Id, ct) ?? 0;
}
