using System.Text;
using System.Text.Json;

namespace BpoStudio.Core.Import;

/// <summary>The checks a record's raw text gets before its fields are read, worded for the import summary.</summary>
internal static class RecordText
{
    public const int MaxDepth = 64;

    /// <summary>Null when the bytes are valid UTF-8, else where the first bad byte is (1-based, within the record).</summary>
    public static string? Utf8Problem(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        var at = 0;
        while (Rune.DecodeFromUtf8(bytes[at..], out _, out var consumed) == System.Buffers.OperationStatus.Done) at += consumed;
        return $"not valid UTF-8 (byte 0x{bytes[at]:X2} at position {at + 1}); save the file as UTF-8";
    }

    public static string JsonProblem(JsonException ex) =>
        ex.Message.Contains("maximum configured depth", StringComparison.Ordinal)
            ? $"nested deeper than {MaxDepth} levels; no record format needs that"
            : $"not valid JSON ({ex.Message.Split(". ")[0]})";

    /// <summary>System.Text.Json accepts an escaped lone surrogate ("\ud800") as valid JSON but cannot turn it into text.</summary>
    public static string? TextProblem(InvalidOperationException ex) =>
        ex.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase)
            ? $"a string holds a lone surrogate escape such as \\ud800, which is not text ({ex.Message})"
            : null;
}
