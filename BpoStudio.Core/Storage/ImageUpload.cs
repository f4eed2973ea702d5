using System.Security.Claims;
using System.Security.Cryptography;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Storage;

/// <summary>
/// An image a program sends under its SHA-256 before the records that name it (<c>sha256:&lt;hex&gt;</c>): checked against
/// the hash and the image limits, stored once, idempotent.
/// </summary>
public sealed class ImageUpload(ImageStore store, IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    public const long MaxBytes = 64L * 1024 * 1024;

    public async Task<StoredImageInfo> PutAsync(ClaimsPrincipal actor, string sha256, byte[] bytes, CancellationToken ct = default)
    {
        actor.RequireLead("push images");
        if (bytes.LongLength > MaxBytes) throw new TooLargeError($"An image may be at most {MaxBytes / (1024 * 1024)} MB.");
        var expected = sha256.Trim().ToLowerInvariant();
        if (!StoredImageReference.IsSha256Hex(expected)) throw new InvalidInputError($"'{sha256}' is not a SHA-256 in hex (64 characters).", "sha256");
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != expected) throw new ContentMismatchError($"The bytes sent hash to {actual}, not {expected}: the image was not stored.", "body");
        StoredImageInfo stored;
        try
        {
            stored = await store.PutAsync(bytes, ct);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidInputError($"The image was not stored: {ex.Message}", "body");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.AddIfMissingAsync(stored, clock.GetUtcNow().UtcDateTime, ct)) return stored;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same image pushed twice at once: the other call catalogued it; anything else is a real failure.
            if (!await ExistsAsync(stored.Hash, ct)) throw;
        }
        return stored;
    }

    private async Task<bool> ExistsAsync(string hash, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.StoredImages.AnyAsync(i => i.Hash == hash, ct);
    }
}
