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

    /// <summary>What is wrong with a record's JSON and where, in a person's words rather than the parser's.</summary>
    public static string JsonProblem(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("maximum configured depth", StringComparison.Ordinal)) return $"nested deeper than {MaxDepth} levels; no record format needs that";
        var found = System.Text.RegularExpressions.Regex.Match(message, "^'(.+?)' ") is { Success: true } m ? m.Groups[1].Value : null;
        var what = message switch
        {
            _ when message.Contains("Expected depth to be zero at the end", StringComparison.Ordinal) => "it ends before every { and [ is closed (the record is cut short)",
            _ when message.Contains("is invalid after a single JSON value", StringComparison.Ordinal) => $"something follows the record's end ('{found}'): two records on one line, or a stray character",
            _ when message.Contains("invalid start of a property name", StringComparison.Ordinal) => $"a field name must be in double quotes (found '{found}')",
            _ when message.Contains("invalid start of a value", StringComparison.Ordinal) => $"a value cannot start with '{found}' (text needs double quotes)",
            _ when message.Contains("after property value", StringComparison.Ordinal) || message.Contains("is invalid after a value", StringComparison.Ordinal)
                => $"a comma or }} is missing after a value (found '{found}')",
            _ when message.Contains("after a value in an array", StringComparison.OrdinalIgnoreCase) || message.Contains("',' or ']'", StringComparison.Ordinal) => "a comma or ] is missing between array items",
            _ when message.Contains("trailing comma", StringComparison.OrdinalIgnoreCase) => "a comma comes before a closing } or ]",
            _ when message.Contains("end of string", StringComparison.OrdinalIgnoreCase) => "a text value is not closed with a double quote",
            _ => message.Split(". ")[0],
        };
        return ex.BytePositionInLine is { } at ? $"not valid JSON at byte {at + 1}: {what}" : $"not valid JSON: {what}";
    }

    /// <summary>System.Text.Json accepts an escaped lone surrogate ("\ud800") as valid JSON but cannot turn it into text.</summary>
    public static string? TextProblem(InvalidOperationException ex) =>
        ex.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase)
            ? $"a string holds a lone surrogate escape such as \\ud800, which is not text ({ex.Message})"
            : null;
}
