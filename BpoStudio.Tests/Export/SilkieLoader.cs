using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BpoStudio.Tests.Export;

/// <summary>
/// What Silkie's trainer (vlf-silkie/VLFeedback, <c>run_dpo.py</c>, <c>make_vlfeedback_paired_dataset</c>) makes of a
/// VLFeedback file, restated from its code and from how <c>datasets</c> loads the file for it, to check an export
/// independently of the exporter.
/// </summary>
public static class SilkieLoader
{
    public sealed record Pair(string Prompt, string ImgPath, string Chosen, string Rejected);

    public static List<Pair> Pairs(string path)
    {
        var records = File.ReadLines(path).Select((line, i) => JsonNode.Parse(line)?.AsObject() ?? throw new Xunit.Sdk.XunitException($"line {i + 1} is not an object")).ToList();
        OneTypePerField(records);
        // pyarrow unifies the struct across the file: an aspect one completion lacks is None in it.
        var aspects = records.SelectMany(r => r["completions"]!.AsArray()).SelectMany(c => c!["annotations"]!.AsObject().Select(a => a.Key)).Distinct().ToList();
        var pairs = new List<Pair>();
        foreach (var (record, line) in records.Select((r, i) => (r, i + 1)))
        {
            // prompt = sample["prompt"][sample_idx]; img_path = sample["img_path"][sample_idx] (None after unification
            // when a record lacks it, and the collator then fails opening it).
            var prompt = record["prompt"]?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException($"line {line}: no prompt");
            var imgPath = record["img_path"]?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException($"line {line}: no img_path");
            var comps = record["completions"]!.AsArray();
            // for comp_idx1, comp_idx2 in combinations(range(len(comps["annotations"])), 2):
            for (var i = 0; i < comps.Count; i++)
                for (var j = i + 1; j < comps.Count; j++)
                {
                    // avg_score = np.mean([float(anno[aspect]["Rating"]) for aspect in anno]) ... except ValueError: continue
                    var (score1, score2) = (Mean(comps[i]!, aspects, line), Mean(comps[j]!, aspects, line));
                    if (score1 is null || score2 is null) continue;
                    // if avg_score1 > avg_score2: chosen = 1 ... elif avg_score2 > avg_score1: chosen = 2 ... else: continue
                    if (score1 > score2) pairs.Add(new(prompt, imgPath, Response(comps[i]!), Response(comps[j]!)));
                    else if (score2 > score1) pairs.Add(new(prompt, imgPath, Response(comps[j]!), Response(comps[i]!)));
                }
        }
        return pairs;
    }

    private static string Response(JsonNode completion) => completion["response"]!.GetValue<string>();

    private static double? Mean(JsonNode completion, List<string> aspects, int line)
    {
        var sum = 0.0;
        foreach (var aspect in aspects)
        {
            var rating = completion["annotations"]?[aspect]?["Rating"]
                ?? throw new Xunit.Sdk.XunitException($"line {line}: '{aspect}' is None in a completion after the file's struct is unified: float(None) raises TypeError and stops the map");
            if (PythonFloat(rating) is not { } value) return null;
            sum += value;
        }
        return sum / aspects.Count;
    }

    // float(x) of a JSON number or string; None where Python raises ValueError.
    private static double? PythonFloat(JsonNode rating) => rating.GetValueKind() switch
    {
        JsonValueKind.Number => rating.GetValue<double>(),
        JsonValueKind.String => double.TryParse(rating.GetValue<string>().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
        var kind => throw new Xunit.Sdk.XunitException($"a Rating that is a JSON {kind}: float() raises TypeError"),
    };

    /// <summary>
    /// datasets reads JSON lines with pyarrow's reader, which infers one type per column and refuses a file where a
    /// field changes type ("JSON parse error: Column(...) changed from string to number").
    /// </summary>
    private static void OneTypePerField(List<JsonObject> records)
    {
        var kinds = new Dictionary<string, (JsonValueKind Kind, int Line)>();
        for (var i = 0; i < records.Count; i++) Walk(records[i], "$", i + 1);

        void Walk(JsonNode? node, string path, int line)
        {
            if (node is null) return;
            var kind = node.GetValueKind() is JsonValueKind.False ? JsonValueKind.True : node.GetValueKind();
            if (kinds.TryGetValue(path, out var seen) && seen.Kind != kind)
                throw new Xunit.Sdk.XunitException($"{path} is a {seen.Kind} on line {seen.Line} and a {kind} on line {line}: pyarrow refuses the file");
            kinds.TryAdd(path, (kind, line));
            if (node is JsonObject obj) foreach (var (key, value) in obj) Walk(value, $"{path}.{key}", line);
            else if (node is JsonArray array) foreach (var item in array) Walk(item, $"{path}[]", line);
        }
    }
}
