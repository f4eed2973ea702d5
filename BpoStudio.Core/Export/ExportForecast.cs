using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export.Formats;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Export;

/// <summary>How many of the pairs to export have one shape: an image pair or not, an image or none, how many images.</summary>
public sealed record PairShape(bool ImagePair, bool TextOnly, int Images, long Pairs);

/// <summary>Pairs one format leaves out for one reason, and the formats that would carry them.</summary>
public sealed record LeftOutReason(string Reason, long Pairs, IReadOnlyList<ExportFormat> CarriedBy)
{
    public string Carriers => CarriedBy.Count == 0 ? "No format carries them." : $"{string.Join(", ", CarriedBy.Select(f => f.WireName()))} {(CarriedBy.Count == 1 ? "carries" : "carry")} them.";
}

/// <summary>What a format will write of the pairs to export, said before the export runs.</summary>
public sealed record FormatForecast(ExportFormat Format, long Pairs, long LeftOut, IReadOnlyList<LeftOutReason> Reasons)
{
    public string Headline => LeftOut == 0 ? $"{Format.WireName()} holds {(Pairs == 1 ? "the one pair" : $"all {Pairs:N0} pairs")} to export."
        : $"{Format.WireName()} will leave out {LeftOut:N0} of {Pairs:N0} pairs:";
}

/// <summary>
/// Says before an export runs how many pairs the chosen format will leave out for what its records cannot hold
/// (image pairs, text-only samples, more images than it opens) and which formats would carry them. The export's own
/// checks of each text still run and are listed in its manifest; these are the reasons that do not depend on the texts.
/// </summary>
public sealed class ExportForecast(IDbContextFactory<BpoDbContext> dbFactory)
{
    private sealed record ShapeRow(bool ImagePair, bool TextOnly, int? MoreLength, string? MoreExample, long Pairs);

    public async Task<IReadOnlyList<FormatForecast>> ForAllFormatsAsync(int datasetId, int? versionNumber, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("export a dataset");
        var shapes = await ShapesAsync(datasetId, versionNumber, ct);
        return [.. ExportFormats.All.Select(format => For(format, shapes))];
    }

    public async Task<FormatForecast> ForAsync(ExportFormat format, int datasetId, int? versionNumber, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("export a dataset");
        return For(format, await ShapesAsync(datasetId, versionNumber, ct));
    }

    public static FormatForecast For(ExportFormat format, IReadOnlyList<PairShape> shapes)
    {
        var reasons = new Dictionary<string, (long Pairs, Func<IExportFormat, bool> Carries)>();
        foreach (var shape in shapes)
        {
            if (Refusal(format.Describe(), shape) is not { } refusal) continue;
            reasons[refusal.Reason] = (reasons.GetValueOrDefault(refusal.Reason).Pairs + shape.Pairs, refusal.Carries);
        }
        var listed = reasons.Select(r => new LeftOutReason(r.Key, r.Value.Pairs,
            [.. ExportFormats.All.Where(f => f != format && r.Value.Carries(f.Describe()))])).OrderByDescending(r => r.Pairs).ToList();
        return new FormatForecast(format, shapes.Sum(s => s.Pairs), listed.Sum(r => r.Pairs), listed);
    }

    // The same rules, in the same order, as LoaderRules.CheckPair applies to these shapes.
    private static (string Reason, Func<IExportFormat, bool> Carries)? Refusal(IExportFormat target, PairShape shape)
    {
        if (shape.ImagePair && !target.CarriesImagePairs) return ("image pairs (the same answer under a weakened image): its records give both sides the same images", f => f.CarriesImagePairs);
        if (shape.Images > 1 && target.MaxImages is { } most && shape.Images > most)
            return ($"samples with more than {most} image{(most == 1 ? "" : "s")}: its trainer opens {(most == 1 ? "one" : $"at most {most}")}", f => f.MaxImages is null || f.MaxImages >= shape.Images);
        if (shape.TextOnly && target.NoImageReason is not null) return ("text-only samples: its trainer opens an image for every record", f => f.NoImageReason is null);
        return null;
    }

    public async Task<IReadOnlyList<PairShape>> ShapesAsync(int datasetId, int? versionNumber, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var imagePair = ResponseKind.ImagePair.ToWire();
        List<ShapeRow> rows;
        if (versionNumber is { } number)
        {
            var versionId = await db.DatasetVersions.Where(v => v.DatasetId == datasetId && v.Number == number).Select(v => (int?)v.Id).FirstOrDefaultAsync(ct)
                ?? throw new NotFoundError($"Dataset {datasetId} has no version {number}.");
            rows = await db.Database.SqlQuery<ShapeRow>($"""
                SELECT "ImagePair", "TextOnly", "MoreLength", min("More") AS "MoreExample", count(*) AS "Pairs" FROM (
                    SELECT i."RejectedKind" = {imagePair} AS "ImagePair", i."ImageHash" IS NULL AS "TextOnly", length(i."MoreImageHashes") AS "MoreLength", i."MoreImageHashes" AS "More"
                    FROM "DatasetVersionItems" i WHERE i."DatasetVersionId" = {versionId}) shapes
                GROUP BY "ImagePair", "TextOnly", "MoreLength"
                """).ToListAsync(ct);
        }
        else
        {
            var accepted = nameof(PairStatus.Accepted);
            rows = await db.Database.SqlQuery<ShapeRow>($"""
                SELECT "ImagePair", "TextOnly", "MoreLength", min("More") AS "MoreExample", count(*) AS "Pairs" FROM (
                    SELECT r."Kind" = {imagePair} AS "ImagePair", s."ImageHash" IS NULL AS "TextOnly", length(s."MoreImageHashes") AS "MoreLength", s."MoreImageHashes" AS "More"
                    FROM "Pairs" p JOIN "Samples" s ON s."Id" = p."SampleId" JOIN "Responses" r ON r."Id" = p."RejectedResponseId"
                    WHERE p."DatasetId" = {datasetId} AND p."Status" = {accepted}) shapes
                GROUP BY "ImagePair", "TextOnly", "MoreLength"
                """).ToListAsync(ct);
        }
        // Lists of one length hold one number of hashes (each is the same length), so one example counts them.
        return [.. rows.Select(r => new PairShape(r.ImagePair, r.TextOnly, r.TextOnly ? 0 : 1 + ImageList.Parse(r.MoreExample).Count, r.Pairs))];
    }
}
