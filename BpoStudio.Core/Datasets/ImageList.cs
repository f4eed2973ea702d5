using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace BpoStudio.Core.Datasets;

/// <summary>
/// A sample's images after its first (hashes, or paths as written), stored as one JSON array of strings, NULL when
/// there are none: the same text on SQLite and PostgreSQL, so raw SQL readers parse one form. The first image keeps its
/// own column, which every single-image query reads as before.
/// </summary>
public static class ImageList
{
    public static string? Format(IReadOnlyList<string>? items) => items is not { Count: > 0 } ? null : JsonSerializer.Serialize(items);

    public static List<string> Parse(string? stored)
    {
        if (string.IsNullOrEmpty(stored)) return [];
        return JsonSerializer.Deserialize<List<string>>(stored) ?? [];
    }

    /// <summary>The first image and the rest, in order; empty when there is no first image.</summary>
    public static IReadOnlyList<string> All(string? first, IReadOnlyList<string>? more) =>
        first is null ? [] : more is not { Count: > 0 } ? [first] : [first, .. more];

    // NULL reads back as a null list (EF does not convert nulls), and an empty list is written as NULL.
    internal static readonly ValueConverter<List<string>?, string?> Converter = new(v => Format(v), v => Parse(v));

    internal static readonly ValueComparer<List<string>?> Comparer = new(
        (a, b) => (a ?? new List<string>()).SequenceEqual(b ?? new List<string>()),
        v => v == null ? 0 : v.Aggregate(0, (hash, item) => HashCode.Combine(hash, item.GetHashCode(StringComparison.Ordinal))),
        v => v == null ? null : v.ToList());
}
