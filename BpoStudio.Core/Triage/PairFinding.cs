namespace BpoStudio.Core.Triage;

/// <summary>How much a check's finding matters: <c>block</c> keeps a pair out of training until a person looks.</summary>
public enum FindingSeverity
{
    Info,
    Warn,
    Block,
}

/// <summary>One automatic check that fired on a pair, with a short reason; rewritten whenever the pair is checked again.</summary>
public class PairFinding
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public long PairId { get; set; }
    public required string CheckId { get; set; }
    public FindingSeverity Severity { get; set; }
    public string? Detail { get; set; }
}

public static class FindingSeverityNames
{
    public static string ToWire(this FindingSeverity severity) => severity.ToString().ToLowerInvariant();

    public static FindingSeverity Parse(string wire) => wire.Trim().ToLowerInvariant() switch
    {
        "block" => FindingSeverity.Block,
        "warn" or "warning" => FindingSeverity.Warn,
        "info" => FindingSeverity.Info,
        _ => throw new InvalidInputError($"Unknown severity '{wire}'; use block, warn or info."),
    };
}
