using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Import;

/// <summary>
/// The server folders imports may read: those in configuration (<c>BpoStudio:ImportRoots</c>) and those an admin
/// added on the Admin pages. Read from the database on each use, so every instance sees a change at once.
/// </summary>
public sealed class ImportFolders(IDbContextFactory<BpoDbContext> dbFactory, IOptions<BpoStudioOptions> options, DataPaths paths, AuditLog audit, TimeProvider clock)
{
    public IReadOnlyList<string> Configured =>
        [.. options.Value.ImportRoots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => Trim(Path.GetFullPath(r))).Distinct()];

    /// <summary>Configured folders first, then the added ones in the order they were added. Not the upload folder.</summary>
    public Task<IReadOnlyList<AllowedFolder>> ListAsync(ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("see the folders imports may read");
        return AllAsync(ct);
    }

    /// <summary>For the import checks themselves, which run for a caller already checked.</summary>
    internal async Task<IReadOnlyList<AllowedFolder>> AllAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var added = await db.ImportFolders.AsNoTracking().OrderBy(f => f.Id).ToListAsync(ct);
        var configured = Configured;
        return [.. configured.Select(p => new AllowedFolder(null, p, null, null)),
                .. added.Where(f => !configured.Contains(f.Path)).Select(f => new AllowedFolder(f.Id, f.Path, f.AddedBy, f.AddedAt))];
    }

    public async Task<AllowedFolder> AddAsync(string path, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireAdmin("allow a folder for imports");
        var full = Validate(path);
        if ((await AllAsync(ct)).Any(f => SafePath.RealPath(f.Path) == SafePath.RealPath(full)))
            throw new InvalidInputError($"{full} is already an allowed folder.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var folder = new ImportFolder { Path = full, AddedBy = actor.DisplayName(), AddedAt = clock.GetUtcNow().UtcDateTime };
        db.ImportFolders.Add(folder);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique index: another admin added the same folder a moment ago.
            await using var check = await dbFactory.CreateDbContextAsync(ct);
            if (await check.ImportFolders.AnyAsync(f => f.Path == full, ct)) throw new InvalidInputError($"{full} is already an allowed folder: another admin added it a moment ago.");
            throw;
        }
        await audit.WriteAsync(actor.DisplayName(), ImportAudit.FolderAdd, full, null, ct);
        return new AllowedFolder(folder.Id, folder.Path, folder.AddedBy, folder.AddedAt);
    }

    /// <summary>Imports already queued keep running; new ones can no longer read the folder. Imported images were copied and stay.</summary>
    public async Task RemoveAsync(int id, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireAdmin("remove an allowed import folder");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var folder = await db.ImportFolders.FirstOrDefaultAsync(f => f.Id == id, ct)
            ?? throw new NotFoundError($"There is no added import folder {id}; folders from configuration are changed there.");
        db.ImportFolders.Remove(folder);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), ImportAudit.FolderRemove, folder.Path, null, ct);
    }

    // Allowing a folder lets every lead read every file below it: refuse the ones that would expose the whole server
    // or the app's own data (its database, sessions and exports).
    private string Validate(string path)
    {
        var text = path?.Trim() ?? "";
        if (text.Length == 0) throw new InvalidInputError("Give the folder's path.");
        if (!Path.IsPathFullyQualified(text)) throw new InvalidInputError($"'{text}' is not an absolute path; write it from the root, like /data/coco.");
        var full = Trim(Path.GetFullPath(text));
        if (!Directory.Exists(full)) throw new InvalidInputError(File.Exists(full) ? $"{full} is a file, not a folder." : $"There is no folder {full} on the server.");
        var real = SafePath.RealPath(full) ?? throw new InvalidInputError($"{full} goes through a loop of links.");
        if (Path.GetPathRoot(real) == real) throw new InvalidInputError($"{full} is the root of a drive; allowing it would let imports read every file on the server.");
        var data = SafePath.RealPath(paths.Root) ?? paths.Root;
        if (real == data || SafePath.IsUnder(real, data) || SafePath.IsUnder(data, real))
            throw new InvalidInputError($"{full} holds or lies inside the app's data folder ({paths.Root}), which has its database and sessions; uploads already have their own folder.");
        return full;
    }

    private static string Trim(string full) => Path.TrimEndingDirectorySeparator(full);
}
