using BpoStudio.Core.Data;
using System.Text;

namespace BpoStudio.Core.Export.Formats;

/// <summary>
/// TRL KTOTrainer's unpaired preference data, conversational JSON lines with an images column: each accepted pair
/// gives its chosen answer as a desirable completion and its rejected one as undesirable, every distinct answer of a
/// sample once (a ground truth shared by two pairs is one desirable row, not two).
/// </summary>
public sealed class KtoFormat : IExportFormat
{
    public ExportFormat Format => ExportFormat.Kto;
    public string WireName => "kto";
    public string Title => "TRL KTOTrainer (unpaired conversational JSONL)";
    public bool ReferencesImageFiles => true;
    public bool KeepsImagePlaces => true;
    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new KtoLines();

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            Run training from this folder (image paths are relative to it), then:

                from datasets import load_dataset, Image, List
                ds = load_dataset("json", data_files={ExportReadme.Files(dataFiles)})
                ds = ds.cast_column("images", List(Image()))

            and pass ds["train"] to trl.KTOTrainer with a vision processor{(IExportFormat.HasValidation(dataFiles) ? ", and ds[\"validation\"] (validation.jsonl) as eval_dataset" : "")}.
            Each line is one completion with `label` true (desirable: a chosen answer) or false (undesirable: a rejected
            one). KTOTrainer refuses `per_device_train_batch_size` 1: it estimates its KL term from the other rows of a
            batch. BPO data usually has more undesirable rows than desirable ones; the KTO paper suggests
            `desirable_weight` so that desirable_weight x desirable rows / undesirable rows lies between 1 and 4/3.
            Rows are interleaved across samples (each sample's first answer, then each one's second, ...): KTOTrainer
            pairs every row with the row before it for its KL term, so neighbours answer different prompts.
            """;
}

/// <summary>
/// One line per distinct answer of a sample: the prompt, the answer as the completion, its label, the image. The lines
/// go out interleaved across samples (each sample's first line, then each one's second, ...): KTOTrainer builds its KL
/// term in file order, <c>dataset.map(_get_kl_dataset, batched=True, batch_size=args.per_device_train_batch_size)</c>
/// with <c>batch["completion_ids"] = [batch["completion_ids"][-1]] + batch["completion_ids"][:-1]</c>, so each row's KL
/// completion is the row before it; grouped by sample, most rows got an answer to their own prompt.
/// </summary>
public sealed class KtoLines : ConversationalPromptPart
{
    private readonly HashSet<Utf8Text> _written = [];
    private readonly List<(int Sample, int Start, int Length)> _rows = [];
    private int _samples;
    private byte[]? _interleaved;

    public override ReadOnlyMemory<byte> Lines => _interleaved ??= Interleave(base.Lines.Span);

    private byte[] Interleave(ReadOnlySpan<byte> written)
    {
        var seen = new Dictionary<int, int>();
        var order = _rows.Select(row => (row, Rank: seen[row.Sample] = seen.GetValueOrDefault(row.Sample) + 1)).ToList();
        var result = new byte[written.Length];
        var at = 0;
        foreach (var (row, _) in order.OrderBy(x => x.Rank).ThenBy(x => x.row.Sample))
        {
            written.Slice(row.Start, row.Length).CopyTo(result.AsSpan(at));
            at += row.Length;
        }
        return result;
    }

    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        var path = PathsOf(sample, image);
        _samples++;
        _written.Clear();
        foreach (var pair in pairs)
        {
            // A sample's chosen answers first, so a text that is somehow both stays desirable.
            if (_written.Add(pair.Chosen.Text)) WriteLine(sample, pair.Chosen.Text, desirable: true, path);
        }
        foreach (var pair in pairs)
            if (_written.Add(pair.Rejected.Text)) WriteLine(sample, pair.Rejected.Text, desirable: false, path);
    }

    private void WriteLine(ExportSample sample, Utf8Text completion, bool desirable, IReadOnlyList<byte[]> path)
    {
        var start = WrittenCount;
        _interleaved = null;
        WritePrompt(sample, path);
        WriteRaw(""","completion":"""u8);
        WriteAnswer(completion.Span);
        WriteRaw(desirable ? ""","label":true"""u8 : ""","label":false"""u8);
        WriteImagesAndEnd(path);
        _rows.Add((_samples, start, WrittenCount - start));
    }
}
