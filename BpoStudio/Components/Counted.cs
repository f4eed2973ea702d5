namespace BpoStudio.Components;

/// <summary>The one way pages count things: "1 pair", "1,204 pairs".</summary>
public static class Counted
{
    public static string Of(long count, string noun, string? plural = null) => $"{count:N0} {(count == 1 ? noun : plural ?? noun + "s")}";

    /// <summary>The verb that agrees with the count: "1 pair matches", "7 pairs match".</summary>
    public static string Agree(long count, string singular, string plural) => count == 1 ? singular : plural;
}
