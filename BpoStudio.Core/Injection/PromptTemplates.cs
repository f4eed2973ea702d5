using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Injection;

/// <summary>A stored setting; today the prompt templates leads edit.</summary>
public class AppSetting
{
    public required string Key { get; set; }
    public required string Value { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

public sealed record PromptSet(string Description, string QuestionAnswering, string Paraphrase)
{
    public static readonly PromptSet Default = new(InjectionPrompts.Description, InjectionPrompts.QuestionAnswering, InjectionPrompts.Paraphrase);
}

/// <summary>The injection and paraphrase templates, editable by leads; the shipped ones apply until edited.</summary>
public sealed class PromptTemplates(IDbContextFactory<BpoDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    private const string DescriptionKey = "prompts.description", QuestionKey = "prompts.question-answering", ParaphraseKey = "prompts.paraphrase";

    public async Task<PromptSet> GetAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.AppSettings.Where(s => s.Key.StartsWith("prompts.")).ToDictionaryAsync(s => s.Key, s => s.Value, ct);
        return new PromptSet(
            stored.GetValueOrDefault(DescriptionKey, PromptSet.Default.Description),
            stored.GetValueOrDefault(QuestionKey, PromptSet.Default.QuestionAnswering),
            stored.GetValueOrDefault(ParaphraseKey, PromptSet.Default.Paraphrase));
    }

    public async Task SaveAsync(PromptSet prompts, string? actor, CancellationToken ct = default)
    {
        Require(prompts.Description, "description", "{answer}");
        Require(prompts.QuestionAnswering, "question-answering", "{prompt}", "{answer}");
        Require(prompts.Paraphrase, "paraphrase", "{answer}");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var (key, value) in new[] { (DescriptionKey, prompts.Description), (QuestionKey, prompts.QuestionAnswering), (ParaphraseKey, prompts.Paraphrase) })
        {
            var setting = await db.AppSettings.FirstOrDefaultAsync(s => s.Key == key, ct);
            if (setting is null) db.AppSettings.Add(setting = new AppSetting { Key = key, Value = value });
            (setting.Value, setting.UpdatedAt, setting.UpdatedBy) = (value, clock.GetUtcNow().UtcDateTime, actor);
        }
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(actor, InjectionAudit.PromptsSave, "injection prompt templates", null, ct);
    }

    private static void Require(string template, string name, params string[] placeholders)
    {
        foreach (var placeholder in placeholders)
            if (!template.Contains(placeholder, StringComparison.Ordinal))
                throw new InvalidInputError($"The {name} template must contain {placeholder}.");
    }
}
