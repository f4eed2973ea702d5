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

            and pass ds["train"] to trl.DPOTrainer with a vision processor{(dataFiles.Any(f => f.StartsWith("validation", StringComparison.Ordinal)) ? ", and ds[\"validation\"] (validation.jsonl) as eval_dataset" : "")}.
            """,
        ExportFormat.LlamaFactory => $"""
            Point LLaMA-Factory at this folder as it is; its dataset_info.json is already here. In the training YAML:

                stage: dpo
                dataset_dir: /absolute/path/to/this/folder
                dataset: {datasetInfoName}_train{(dataFiles.Any(f => f.StartsWith("validation", StringComparison.Ordinal)) ? $"\n    eval_dataset: {datasetInfoName}_validation      # validation.jsonl" : "")}

            Images resolve against dataset_dir (media_dir defaults to it), where images/ is. Do not copy the files into
            LLaMA-Factory's data/ folder: file_name and the image paths would then point to the wrong place.
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
        ExportFormat.Parquet => """
            This folder is a Hugging Face dataset: data/ holds the Parquet files (every image's bytes embedded) and this
            card's header declares their splits and features, so nothing needs to be named:

                from datasets import load_dataset
                ds = load_dataset("path/to/this/folder")
                trainer = trl.DPOTrainer(model, args=config, train_dataset=ds["train"], processing_class=processor)

            prompt, chosen and rejected are conversational message lists and images a list of images, as DPOTrainer
            expects; ds["validation"], when there is one, is the eval_dataset. ds.push_to_hub("you/name") publishes it as it is.
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public static string Render(ExportManifest manifest) => (manifest.Format == ExportFormat.Parquet.WireName() ? DatasetCardHeader(manifest.Counts) : "") + $"""
        # {manifest.Dataset} - {manifest.FormatTitle}

        {(manifest.Draft ? "DRAFT export of the current accepted pairs; not an approved version." : $"Approved version {manifest.Version!.Number} (content SHA-256 {manifest.Version.ContentHash}), approved by {manifest.Version.ApprovedBy} on {manifest.Version.ApprovedAt:yyyy-MM-dd}.")}
        {manifest.Counts.Pairs:N0} pairs from {manifest.Counts.Samples:N0} samples; {manifest.Counts.Skipped:N0} left out (reasons in manifest.json).{Turns(manifest.Counts)}{string.Concat(manifest.Warnings.Select(w => "\nWARNING: " + w))}
        Exported {manifest.CreatedAt:yyyy-MM-dd HH:mm} UTC by BpoStudio {manifest.AppVersion}.

        ## How to load

        {manifest.HowToLoad}
        """;

    /// <summary>The YAML a Hub dataset card starts with: where each split's files are and the features of their columns.</summary>
    private static string DatasetCardHeader(ExportCounts counts)
    {
        var splits = counts.PairsBySplit.Keys.Order(StringComparer.Ordinal).ToList();
        var messages = """
                list:
                - name: role
                  dtype: string
                - name: content
                  list:
                  - name: type
                    dtype: string
                  - name: text
                    dtype: string
            """;
        var card = new System.Text.StringBuilder("---\nconfigs:\n- config_name: default\n  data_files:\n");
        foreach (var split in splits) card.Append($"  - split: {split}\n    path: data/{split}-*\n");
        card.Append("dataset_info:\n  features:\n");
        foreach (var column in new[] { "prompt", "chosen", "rejected" }) card.Append($"  - name: {column}\n{messages}\n");
        card.Append("  - name: images\n    list: image\n");
        foreach (var column in new[] { "chosen_type", "rejected_type", "rejected_method" }) card.Append($"  - name: {column}\n    dtype: string\n");
        foreach (var column in new[] { "pair_id", "sample_id" }) card.Append($"  - name: {column}\n    dtype: int64\n");
        card.Append("  splits:\n");
        foreach (var split in splits) card.Append($"  - name: {split}\n    num_examples: {counts.PairsBySplit[split]}\n");
        return card.Append("---\n\n").ToString();
    }

    private static string Turns(ExportCounts counts) =>
        (counts.PairsWithHistory > 0 ? $"\n{counts.PairsWithHistory:N0} pairs are later turns of a conversation and carry the turns before them as context." : "")
        + (counts.PairsWithoutTheirHistory > 0 ? $"\n{counts.PairsWithoutTheirHistory:N0} pairs are later turns written WITHOUT the turns before them (this format or --context none)." : "");

    private static string Files(IReadOnlyList<string> files) =>
        "{" + string.Join(", ", files.Select(f => $"\"{Path.GetFileNameWithoutExtension(f)}\": \"{f}\"")) + "}";
}
