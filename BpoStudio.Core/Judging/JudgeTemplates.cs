using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Judging;

/// <summary>One version of a prompt a dataset's judge can use: built in (a file) or a lead's edit (a row).</summary>
public sealed record TemplateVersion(JudgePrompt Prompt, bool BuiltIn, string? BasedOn = null, string? CreatedBy = null, DateTime? CreatedAt = null);

/// <summary>The prompts a dataset's judge can use, and the one its runs use unless told otherwise.</summary>
public sealed record DatasetTemplates(string Current, IReadOnlyList<TemplateVersion> Versions)
{
    public TemplateVersion CurrentVersion => Versions.Single(v => v.Prompt.Name == Current);
}

/// <summary>
/// A dataset's judge prompt: leads read it, pick a version or edit it into a new one (audited). Versions are never
/// changed, so a score's template name always says which words the judge was given.
/// </summary>
public sealed class JudgeTemplates(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    public async Task<DatasetTemplates> ListAsync(int datasetId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("see the judge's prompts");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var own = await db.JudgeTemplates.AsNoTracking().Where(t => t.DatasetId == datasetId).OrderBy(t => t.Version).ToListAsync(ct);
        return new DatasetTemplates(await CurrentNameAsync(db, datasetId, ct),
            [.. JudgePrompt.BuiltIns.Select(p => new TemplateVersion(p, BuiltIn: true)), .. own.Select(t => new TemplateVersion(t.ToPrompt(), false, t.BasedOn, t.CreatedBy, t.CreatedAt))]);
    }

    /// <summary>Saves an edit of the dataset's current prompt as its next version, which its runs then use.</summary>
    public async Task<JudgePrompt> SaveAsync(int datasetId, string system, string user, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("change the judge's prompt");
        (system, user) = (system.Trim().Replace("\r\n", "\n", StringComparison.Ordinal), user.Trim().Replace("\r\n", "\n", StringComparison.Ordinal));
        if (JudgePrompt.Problem(system, user) is { } problem) throw new InvalidInputError(problem, "template");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, ct)) throw new NotFoundError($"There is no dataset {datasetId}.");
        var current = await ResolveAsync(db, datasetId, await CurrentNameAsync(db, datasetId, ct), ct);
        if (current.System == system && current.User == user) throw new InvalidInputError($"The prompt is the same as {current.Name}; nothing to save.", "template");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var version = (await db.JudgeTemplates.Where(t => t.DatasetId == datasetId).MaxAsync(t => (int?)t.Version, ct) ?? 0) + 1;
        var template = new JudgeTemplate
        {
            DatasetId = datasetId, Version = version, System = system, User = user, BasedOn = current.Name,
            CreatedBy = actor.DisplayName(), CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.JudgeTemplates.Add(template);
        await SetCurrentAsync(db, datasetId, template.Name, actor, ct);
        await tx.CommitAsync(ct);
        await audit.WriteAsync(actor.DisplayName(), JudgeAudit.TemplateSaved, $"dataset {datasetId}", $"{template.Name}, edited from {current.Name}", ct);
        return template.ToPrompt();
    }

    /// <summary>Makes an existing version (built in or the dataset's own) the one the dataset's runs use.</summary>
    public async Task ChooseAsync(int datasetId, string name, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("choose the judge's prompt");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var chosen = await ResolveAsync(db, datasetId, name, ct);
        var before = await CurrentNameAsync(db, datasetId, ct);
        await SetCurrentAsync(db, datasetId, chosen.Name, actor, ct);
        await audit.WriteAsync(actor.DisplayName(), JudgeAudit.TemplateChosen, $"dataset {datasetId}", $"{before} -> {chosen.Name}", ct);
    }

    internal static async Task<string> CurrentNameAsync(BpoDbContext db, int datasetId, CancellationToken ct) =>
        await db.JudgeSettings.Where(s => s.DatasetId == datasetId).Select(s => s.Template).FirstOrDefaultAsync(ct) ?? JudgePrompt.PairwiseV1.Name;

    /// <summary>The prompt of that name for the dataset: a built-in one, or one of the dataset's own versions.</summary>
    internal static async Task<JudgePrompt> ResolveAsync(BpoDbContext db, int datasetId, string name, CancellationToken ct)
    {
        if (JudgePrompt.BuiltIns.FirstOrDefault(p => p.Name == name) is { } builtIn) return builtIn;
        var own = await db.JudgeTemplates.AsNoTracking().Where(t => t.DatasetId == datasetId).ToListAsync(ct);
        return own.FirstOrDefault(t => t.Name == name)?.ToPrompt()
            ?? throw new InvalidInputError($"Dataset {datasetId} has no judge template '{name}'; it has {string.Join(", ", JudgePrompt.BuiltIns.Select(p => p.Name).Concat(own.Select(t => t.Name)))}.", "template");
    }

    private async Task SetCurrentAsync(BpoDbContext db, int datasetId, string name, ClaimsPrincipal actor, CancellationToken ct)
    {
        var setting = await db.JudgeSettings.FirstOrDefaultAsync(s => s.DatasetId == datasetId, ct);
        if (setting is null) db.JudgeSettings.Add(setting = new JudgeSetting { DatasetId = datasetId });
        (setting.Template, setting.UpdatedBy, setting.UpdatedAt) = (name, actor.DisplayName(), clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
    }
}
