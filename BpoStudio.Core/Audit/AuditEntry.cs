namespace BpoStudio.Core.Audit;

/// <summary>Approvals, exports, jobs and user or role changes; review decisions live in ReviewEvent.</summary>
public class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public string? UserName { get; set; }
    public required string Action { get; set; }
    public string? Subject { get; set; }
    public string? Details { get; set; }
}
