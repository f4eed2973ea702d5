namespace BpoStudio.Core.Export;

/// <summary>The short README each export carries: what it holds, and its format's own header and loading steps.</summary>
public static class ExportReadme
{
    public static string Render(ExportManifest manifest, Formats.IExportFormat format) => format.ReadmeHeader(manifest.Counts) + $"""
        # {MarkdownText.Escape(manifest.Dataset)} - {manifest.FormatTitle}

        {(manifest.Draft ? "DRAFT export of the current accepted pairs; not an approved version." : $"Approved version {manifest.Version!.Number} (content SHA-256 {manifest.Version.ContentHash}), approved by {MarkdownText.Escape(manifest.Version.ApprovedBy)} on {manifest.Version.ApprovedAt:yyyy-MM-dd}.")}
        {manifest.Counts.Pairs:N0} pairs from {manifest.Counts.Samples:N0} samples; {manifest.Counts.Skipped:N0} left out (reasons in manifest.json).{Turns(manifest.Counts)}{string.Concat(manifest.Warnings.Select(w => "\nWARNING: " + MarkdownText.Escape(w)))}
        Exported {manifest.CreatedAt:yyyy-MM-dd HH:mm} UTC by BpoStudio {manifest.AppVersion}.

        ## How to load

        {manifest.HowToLoad}
        """;

    private static string Turns(ExportCounts counts) =>
        (counts.PairsWithHistory > 0 ? $"\n{counts.PairsWithHistory:N0} pairs are later turns of a conversation and carry the turns before them as context." : "")
        + (counts.PairsWithoutTheirHistory > 0 ? $"\n{counts.PairsWithoutTheirHistory:N0} pairs are later turns written WITHOUT the turns before them (this format or --context none)." : "");

    internal static string Files(IReadOnlyList<string> files) =>
        "{" + string.Join(", ", files.Select(f => $"\"{Path.GetFileNameWithoutExtension(f)}\": \"{f}\"")) + "}";
}
