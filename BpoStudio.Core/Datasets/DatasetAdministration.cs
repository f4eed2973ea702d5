using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Datasets;

/// <summary>Making datasets by name, for a lead on any host (an import makes one too when it names a new one).</summary>
public sealed class DatasetAdministration(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    public async Task<Dataset> CreateAsync(ClaimsPrincipal actor, string name, string? description, CancellationToken ct = default)
    {
        actor.RequireLead("create datasets");
        var clean = name?.Trim() ?? "";
        if (clean.Length is 0 or > 200) throw new InvalidInputError("Give the dataset a name of 1 to 200 characters.", "name");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Datasets.AnyAsync(d => d.Name == clean, ct)) throw new ConflictError($"There is a dataset named '{clean}' already.");
        var dataset = new Dataset { Name = clean, Description = string.IsNullOrWhiteSpace(description) ? null : description.Trim(), CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = actor.DisplayName() };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), DatasetAudit.Create, clean, dataset.Description, ct);
        return dataset;
    }
}
