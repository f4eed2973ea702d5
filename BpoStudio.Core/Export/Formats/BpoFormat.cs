using System.Text;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export.Formats;

/// <summary>BPO's own format (prompt, image, completions), read back by BpoStudio and by BPO's trainer.</summary>
public sealed class BpoFormat : IExportFormat
{
    public ExportFormat Format => ExportFormat.Bpo;
    public string WireName => "bpo";
    public string Title => "BPO (prompt, image, completions)";
    public bool ReferencesImageFiles => true;
    public bool HoldsHistory => false;
    public bool KeepsTextsAsTheyAre => true;
    public bool NeedsSourceColumns => true;
    public bool HoldsLists => true;

    /// <summary>bpo_llava.py opens the record's one image.</summary>
    public int? MaxImages => 1;
    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new BpoLines();

    public string? NoImageReason => "BPO's loader opens an image for every record; a text-only record would stop its training";

    public void Count(ExportCounts counts, IReadOnlyList<ExportPair> written)
    {
        foreach (var text in written.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId))
            if (BpoLoader.Words(text.Text.Span) > BpoLoader.FilterSizeWords) counts.AnswersOverBpoWordLimit++;
    }

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            BPO format: prompt, image, completions (score, response, type). Image paths are relative to images/.
            BPO's loader takes one question per record, so a later turn of a conversation is written with its own
            question only, without the turns before it (counted in manifest.json as pairsWithoutTheirHistory).
            Text-only records are left out (its loader opens an image for every record). Its loader drops a record
            when any answer is over 350 words (filter_size); manifest.json counts such answers (answersOverBpoWordLimit).
            Import it back with: BpoStudio import train.jsonl --dataset <name> --images images --format bpo{(IExportFormat.HasValidation(dataFiles) ? $"\n            The held-out pairs are in {dataFiles.First(f => Path.GetFileName(f).StartsWith("validation", StringComparison.Ordinal))}: pass it to the loader as the evaluation file." : "")}
            """;
}

/// <summary>
/// BPO: a record per sample, its answers as completions in source order; <c>image</c> is relative to images/. BPO's
/// loader pairs every two completions whose scores differ (higher wins), so the scores must encode exactly the accepted
/// pairs: the source's scores are kept when they do (a BPO round trip stays lossless), otherwise each chosen answer gets
/// its own record, scored 1 against its accepted negatives at 0.
/// </summary>
public sealed class BpoLines : JsonLinesPart
{
    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (pairs.Count == 0) return;
        var completions = sample.Ranked is { } ranked ? [.. ranked] : Completions(pairs);
        if (BpoLoader.Pairs(completions.Select(c => (c.ResponseId, ScoreOf(c)))).SetEquals(pairs.Select(p => (p.Chosen.ResponseId, p.Rejected.ResponseId))))
        {
            Write(sample, image, completions, ScoreOf, suffix: null);
            return;
        }
        // Listwise keeps its rank order here too: the record's scores are then 1 and 0, the order is still best first.
        var rank = sample.Ranked?.Select((t, i) => (t.ResponseId, i)).ToDictionary(x => x.ResponseId, x => x.i);
        var group = 0;
        foreach (var byChosen in pairs.GroupBy(p => p.Chosen.ResponseId))
        {
            var texts = Completions([.. byChosen]);
            if (rank is not null) texts = [.. texts.OrderBy(t => rank.GetValueOrDefault(t.ResponseId, int.MaxValue))];
            Write(sample, image, texts, c => c.ResponseId == byChosen.Key ? 1 : 0, suffix: group++ == 0 ? null : $"alt{group - 1}");
        }
    }

    private static List<ExportText> Completions(IReadOnlyList<ExportPair> pairs) =>
        pairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).DistinctBy(t => t.ResponseId).OrderBy(t => t.ResponseId).ToList();

    private static double ScoreOf(ExportText completion) => completion.Score ?? (completion.Kind.IsPositive() ? 1 : 0);

    private void Write(ExportSample sample, ExportedImage? image, List<ExportText> completions, Func<ExportText, double> score, string? suffix)
    {
        var json = Json;
        json.WriteStartObject();
        json.WriteString(Names.Prompt, (sample.OriginalPrompt ?? sample.Prompt).Span);
        if (image is not null) json.WriteString(Names.Image, image.RelativePath[(ExportImages.Folder.Length + 1)..]);
        json.WriteStartArray(Names.Completions);
        foreach (var completion in completions)
        {
            json.WriteStartObject();
            json.WriteNumber(Names.Score, score(completion));
            json.WriteString(Names.Response, completion.Text.Span);
            json.WriteString(Names.Type, completion.Kind.ToWire());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (!sample.IdGenerated && sample.RecordId is not null)
        {
            var id = sample.Turn is > 0 ? $"{sample.RecordId}-{sample.Turn}" : sample.RecordId;
            json.WriteString(Names.Id, suffix is null ? id : $"{id}-{suffix}");
        }
        json.WriteEndObject();
        EndLine();
    }
}

/// <summary>What BPO's own loader (llava/train/bpo_llava.py) does with a record, restated for the exporter's checks.</summary>
public static class BpoLoader
{
    /// <summary>Its <c>filter_size</c> default: a record with any response longer than this many words is dropped.</summary>
    public const int FilterSizeWords = 350;

    /// <summary><c>make_batch_pairs</c>: every two completions with different scores, the higher one chosen; ties make no pair.</summary>
    public static HashSet<(long Chosen, long Rejected)> Pairs(IEnumerable<(long Id, double Score)> completions)
    {
        var list = completions.ToList();
        var pairs = new HashSet<(long, long)>();
        for (var i = 0; i < list.Count; i++)
            for (var j = i + 1; j < list.Count; j++)
                if (list[i].Score > list[j].Score) pairs.Add((list[i].Id, list[j].Id));
                else if (list[j].Score > list[i].Score) pairs.Add((list[j].Id, list[i].Id));
        return pairs;
    }

    /// <summary>Python's <c>str.split()</c> word count: runs of whitespace separate words.</summary>
    public static int Words(ReadOnlySpan<byte> utf8)
    {
        var words = 0;
        var inWord = false;
        foreach (var rune in System.Text.Encoding.UTF8.GetString(utf8).EnumerateRunes())
        {
            var space = System.Text.Rune.IsWhiteSpace(rune);
            if (!space && !inWord) words++;
            inWord = !space;
        }
        return words;
    }
}

