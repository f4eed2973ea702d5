namespace BpoStudio.Core.Export;

/// <summary>The short README each export carries: how to load it in its trainer.</summary>
public static class ExportReadme
{
    public static string HowToLoad(ExportFormat format, string datasetInfoName, IReadOnlyList<string> dataFiles) => format switch
    {
        ExportFormat.Trl => $"""
            Run training from this folder (image paths are relative to it), then:

                from datasets import load_dataset, Image, List
                ds = load_dataset("json", data_files={Files(dataFiles)})
                ds = ds.cast_column("images", List(Image()))

            and pass ds["train"] to trl.DPOTrainer with a vision processor.
            """,
        ExportFormat.LlamaFactory => $"""
            Copy this folder into LLaMA-Factory's data directory (or point dataset_dir at it) and merge dataset_info.json
            into its dataset_info.json. Then train with `stage: dpo` and `dataset: {datasetInfoName}_train`.
            Image paths resolve against this folder (media_dir defaults to the dataset dir).
            """,
        ExportFormat.OpenAi => """
            Upload the JSONL files with purpose "fine-tune" and create a fine-tuning job with method type "dpo".
            Images are embedded as data URIs, so the files are self-contained.
            """,
        ExportFormat.Bpo => """
            BPO format: prompt, image, completions (score, response, type). Image paths are relative to images/.
            BPO's loader takes one question per record, so a later turn of a conversation is written with its own
            question only, without the turns before it (counted in manifest.json as pairsWithoutTheirHistory).
            Text-only records are left out (its loader opens an image for every record). Its loader drops a record
            when any answer is over 350 words (filter_size); manifest.json counts such answers (answersOverBpoWordLimit).
            Import it back with: BpoStudio import train.jsonl --dataset <name> --images images --format bpo
            """,
        ExportFormat.Parquet => $"""
            The Parquet files embed every image's bytes, so they are self-contained:

                from datasets import load_dataset
                ds = load_dataset("parquet", data_files={Files(dataFiles)})
                ds["train"][0]["image"]  # a PIL image
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public static string Render(ExportManifest manifest) => $"""
        # {manifest.Dataset} - {manifest.FormatTitle}

        {(manifest.Draft ? "DRAFT export of the current accepted pairs; not an approved version." : $"Approved version {manifest.Version!.Number} (content SHA-256 {manifest.Version.ContentHash}), approved by {manifest.Version.ApprovedBy} on {manifest.Version.ApprovedAt:yyyy-MM-dd}.")}
        {manifest.Counts.Pairs:N0} pairs from {manifest.Counts.Samples:N0} samples; {manifest.Counts.Skipped:N0} left out (reasons in manifest.json).{Turns(manifest.Counts)}
        Exported {manifest.CreatedAt:yyyy-MM-dd HH:mm} UTC by BpoStudio {manifest.AppVersion}.

        ## How to load

        {manifest.HowToLoad}
        """;

    private static string Turns(ExportCounts counts) =>
        (counts.PairsWithHistory > 0 ? $"\n{counts.PairsWithHistory:N0} pairs are later turns of a conversation and carry the turns before them as context." : "")
        + (counts.PairsWithoutTheirHistory > 0 ? $"\n{counts.PairsWithoutTheirHistory:N0} pairs are later turns written WITHOUT the turns before them (this format or --context none)." : "");

    private static string Files(IReadOnlyList<string> files) =>
        "{" + string.Join(", ", files.Select(f => $"\"{Path.GetFileNameWithoutExtension(f)}\": \"{f}\"")) + "}";
}
