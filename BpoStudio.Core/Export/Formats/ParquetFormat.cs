using System.Text;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export.Formats;

/// <summary>A Hugging Face dataset folder of Parquet files with images embedded, and its dataset card.</summary>
public sealed class ParquetFormat : IExportFormat
{
    public ExportFormat Format => ExportFormat.Parquet;
    public string WireName => "parquet";
    public string Title => "Hugging Face Parquet (images embedded)";
    public bool ReferencesImageFiles => false;
    public bool KeepsImagePlaces => true;
    public bool WritesPairColumns => true;
    public bool TypedColumns => true;
    public ExportWriter CreateWriter(string folder, string split) => new ParquetExportWriter(folder, split);
    public IExportPart CreatePart() => new ParquetPart(scored: false);
    public IExportPart CreatePart(RatingScheme ratings, ExportOptions options) => new ParquetPart(scored: options.Scorer is not null);

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => """
            This folder is a Hugging Face dataset: data/ holds the Parquet files (every image's bytes embedded) and this
            card's header declares their splits and features, so nothing needs to be named:

                from datasets import load_dataset
                ds = load_dataset("path/to/this/folder")
                trainer = trl.DPOTrainer(model, args=config, train_dataset=ds["train"], processing_class=processor)

            prompt, chosen and rejected are conversational message lists and images a list of images, as DPOTrainer
            expects; ds["validation"], when there is one, is the eval_dataset. ds.push_to_hub("you/name") publishes it as it is.
            """;

    public string ReadmeHeader(ExportCounts counts) => DatasetCardHeader(counts);

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
        if (counts.Weights) card.Append("  - name: weight\n    dtype: float64\n");
        if (counts.Scorer is not null) card.Append("  - name: score\n    dtype: float64\n  - name: confidence\n    dtype: float64\n");
        card.Append("  splits:\n");
        foreach (var split in splits) card.Append($"  - name: {split}\n    num_examples: {counts.PairsBySplit[split]}\n");
        return card.Append("---\n\n").ToString();
    }

}
