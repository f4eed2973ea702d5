using System.Security.Claims;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Import;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Triage;

/// <summary>
/// "Accept as the source decided": files whose authors already curated chosen and rejected (BPO's scores, RLAIF-V, POVID,
/// mDPO, VLFeedback) have their pending pairs accepted as one bulk action, undoable like any other.
/// </summary>
public sealed class SourceDecisions(IDbContextFactory<BpoDbContext> dbFactory, BulkActionService bulk)
{
    public static bool CarriesDecisions(ImportFormat format) =>
        format is ImportFormat.Bpo or ImportFormat.RlaifV or ImportFormat.Povid or ImportFormat.Mdpo or ImportFormat.VlFeedback;

    public async Task<BulkResult> AcceptAsync(string datasetName, string sourceFile, ImportFormat format, ClaimsPrincipal actor, long? importJobId = null, CancellationToken ct = default)
    {
        if (!CarriesDecisions(format))
            throw new ConflictError($"{format} files carry no chosen/rejected decisions to accept; review their pairs instead.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetId = await db.Datasets.Where(d => d.Name == datasetName).Select(d => (int?)d.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundError($"There is no dataset '{datasetName}'.");
        var filter = new PairFilter(Status: PairStatus.Pending, Source: sourceFile);
        return await bulk.ApplyAsync(datasetId, new BulkRequest(filter, BulkOperation.Accept), actor,
            new BulkOrigin(Notes: $"accepted as the source decided ({format} file {sourceFile})", ImportJobId: importJobId), ct);
    }
}
