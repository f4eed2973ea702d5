namespace BpoStudio.Components;

/// <summary>
/// The one way pages show a moment: ISO date and minutes in UTC, named as such. The server's own time zone means
/// nothing to a team spread over several, and stored times are UTC (SQLite hands them back without a kind).
/// </summary>
public static class When
{
    public static string Show(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Show(DateTime? utc) => utc is { } value ? Show(value) : "";
}
