using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Audit;

public sealed class AuditLog(IDbContextFactory<BpoDbContext> dbFactory, TimeProvider clock)
{
    public async Task WriteAsync(string? userName, string action, string? subject, string? details, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AuditEntries.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, UserName = userName, Action = action, Subject = subject, Details = details });
        await db.SaveChangesAsync(ct);
    }
}
