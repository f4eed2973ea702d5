namespace BpoStudio.Core.Judging;

/// <summary>The audit log's action names for the judge: written here, searched and filtered on the Audit page.</summary>
public static class JudgeAudit
{
    public const string Hints = "judge.hints";
    public const string TemplateSaved = "judge.template-save";
    public const string TemplateChosen = "judge.template";
}
