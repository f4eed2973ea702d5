using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Import;

public enum ImportFormat
{
    Llava,
    Bpo,
    PromptOnly,
}

public sealed record ImportedResponse(string Text, ResponseKind Kind, double? Score);

/// <summary>One (prompt, answers) unit read from a record; a multi-turn record gives one per turn.</summary>
/// <param name="OriginalPrompt">The prompt as written, kept only when cleaning changed it (for lossless round trips).</param>
/// <param name="IdGenerated">The record had no id of its own; RecordId is its position in the file.</param>
public sealed record ImportedSample(string RecordId, int Turn, string Prompt, string? ImagePath, IReadOnlyList<ImportedResponse> Responses,
    string? OriginalPrompt = null, bool IdGenerated = false);

/// <summary>A record that could not be imported: its line (JSONL) or index (JSON array) and why.</summary>
public sealed record RecordProblem(string Where, string Reason);

public sealed record ReadItem(IReadOnlyList<ImportedSample> Samples, RecordProblem? Problem);
