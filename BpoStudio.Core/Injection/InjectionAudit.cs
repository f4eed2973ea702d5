namespace BpoStudio.Core.Injection;

/// <summary>The audit log's action names for error injection: written here, searched and filtered on the Audit page.</summary>
public static class InjectionAudit
{
    public const string PromptsSave = "prompts.save";
}
