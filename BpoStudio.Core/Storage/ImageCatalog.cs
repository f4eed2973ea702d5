using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Storage;

public static class ImageCatalog
{
    /// <summary>Adds the catalogue row of a stored image (stored <paramref name="now"/>) unless this context or the database has it; true when added.</summary>
    public static async Task<bool> AddIfMissingAsync(this BpoDbContext db, StoredImageInfo stored, DateTime now, CancellationToken ct = default)
    {
        if (db.StoredImages.Local.Any(i => i.Hash == stored.Hash) || await db.StoredImages.AnyAsync(i => i.Hash == stored.Hash, ct)) return false;
        db.StoredImages.Add(new StoredImage { Hash = stored.Hash, Width = stored.Width, Height = stored.Height, ContentType = stored.ContentType, ByteSize = stored.ByteSize, CreatedAt = now });
        return true;
    }
}
