using System.Text.Json;
using System.Text.Json.Serialization;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Feedback;

/// <summary>
/// An approved version's error spans, frozen on its items (<c>DatasetVersionItems.ErrorSpansJson</c>) so spans marked,
/// changed or removed later do not change what the version exports: written in SQL at approval, read back by exports.
/// </summary>
public static class FrozenSpans
{
    /// <summary>One pass over the version's items, an index probe into the spans each; items without confirmed spans keep null.</summary>
    internal static Task FreezeAsync(BpoDbContext db, int versionId, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync(Sql(db.Database.IsNpgsql(), "\"DatasetVersionId\" = {0}"), [versionId], ct);

    /// <summary>
    /// Writes each item's confirmed spans, ordered by where they start, as a JSON array of start, length, text, type
    /// and severity; items matching <paramref name="items"/> (a condition on "DatasetVersionItems") whose rejected
    /// answer has none keep null. (The migration that added the column holds a frozen copy of this text.)
    /// </summary>
    internal static string Sql(bool postgres, string items)
    {
        const string spans = $"""FROM "ErrorSpans" e WHERE e."ResponseId" = "DatasetVersionItems"."RejectedResponseId" AND e."Status" = '{nameof(SpanStatus.Confirmed)}'""";
        const string fields = """'start', e."Start", 'length', e."Length", 'text', e."Text", 'type', e."Type", 'severity', e."Severity" """;
        var array = postgres
            ? $"""(SELECT json_agg(json_build_object({fields}) ORDER BY e."Start", e."Id")::text {spans})"""
            // json() keeps each object JSON once it has passed through the ordering subquery.
            : $"""(SELECT json_group_array(json(o)) FROM (SELECT json_object({fields}) AS o {spans} ORDER BY e."Start", e."Id"))""";
        return $"""UPDATE "DatasetVersionItems" SET "ErrorSpansJson" = {array} WHERE {items} AND EXISTS (SELECT 1 {spans})""";
    }

    public static IReadOnlyList<(int Start, int Length, string Text, ErrorType Type, ErrorSeverity Severity)> Parse(string json) =>
        [.. JsonSerializer.Deserialize<List<Frozen>>(json)!.Select(s => (s.Start, s.Length, s.Text, Enum.Parse<ErrorType>(s.Type), Enum.Parse<ErrorSeverity>(s.Severity)))];

    private sealed record Frozen(
        [property: JsonPropertyName("start")] int Start,
        [property: JsonPropertyName("length")] int Length,
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("severity")] string Severity);
}
