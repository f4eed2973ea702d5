using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Infrastructure;

/// <summary>
/// What the database shows of an instance killed mid-job: the job still Running, its lease held by an owner that will
/// never renew it. The instance that really ran it finds at its next write that the job is no longer its own, drops
/// that batch and writes nothing more, exactly as a killed one would not.
/// </summary>
public static class VanishedInstance
{
    public const string Owner = "vanished:0:dead";

    public static void TakeLease(IDbContextFactory<BpoDbContext> dbFactory, long jobId, TimeSpan expiresIn)
    {
        // Called from a progress listener, after the batch committed: synchronous, so the job cannot run ahead meanwhile.
        using var db = dbFactory.CreateDbContext();
        var expires = DateTime.UtcNow + expiresIn;
        db.Jobs.Where(j => j.Id == jobId).ExecuteUpdate(s => s.SetProperty(j => j.LeaseOwner, Owner).SetProperty(j => j.LeaseExpiresAt, expires));
    }
}
