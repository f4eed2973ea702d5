using System.Text.Json;
using System.Text.Json.Nodes;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Judging;

/// <summary>A dataset whose pairs a scripted judge can decide by rule, and the rules such judges follow.</summary>
public static class JudgeTestData
{
    /// <summary>
    /// <paramref name="right"/> pairs whose chosen answer says the bus is red (the truth) against a rejected one that says
    /// blue, and <paramref name="wrong"/> pairs where the chosen answer is the wrong one; each sample has an image.
    /// </summary>
    public static async Task ImportAsync(CoreServices core, TestDataFolder files, string dataset, int right, int wrong)
    {
        Directory.CreateDirectory(files.File("images"));
        await File.WriteAllBytesAsync(files.File("images/bus.png"), DemoScene.Generate(4).RenderPng());
        var lines = Enumerable.Range(0, right + wrong).Select(i => JsonSerializer.Serialize(new
        {
            id = $"{dataset}-{i}", prompt = $"What colour is bus {i}?", image = "bus.png",
            completions = i < right
                ? new object[] { new { score = 1, response = $"Bus {i} is red.", type = "gt" }, new { score = 0, response = $"Bus {i} is blue.", type = "llm-hal" } }
                : [new { score = 1, response = $"Bus {i} is blue.", type = "gt" }, new { score = 0, response = $"Bus {i} is red.", type = "llm-hal" }],
        }));
        await File.WriteAllLinesAsync(files.File($"{dataset}.jsonl"), lines);
        var summary = await core.Get<DatasetImporter>().ImportAsync(new ImportRequest(files.File($"{dataset}.jsonl"), dataset, files.File("images"), ImportFormat.Bpo, "test"));
        Assert.Equal(right + wrong, summary.Imported);
    }

    /// <summary>The two answers the judge was shown, from the request's text.</summary>
    public static (string A, string B) Answers(JsonObject request)
    {
        var user = request["messages"]!.AsArray().Last()!["content"]!;
        var text = user is JsonArray parts ? parts.Select(p => p!["text"]?.GetValue<string>()).OfType<string>().Single() : user.GetValue<string>();
        var a = text.IndexOf("Answer A:\n", StringComparison.Ordinal) + "Answer A:\n".Length;
        var b = text.IndexOf("\n\nAnswer B:\n", StringComparison.Ordinal);
        var end = text.IndexOf("\n\nWhich answer", StringComparison.Ordinal);
        return (text[a..b], text[(b + "\n\nAnswer B:\n".Length)..end]);
    }

    /// <summary>A judge that knows the truth: the answer that says red.</summary>
    public static string Truthful(JsonObject request)
    {
        var (a, b) = Answers(request);
        var which = a.Contains("red") == b.Contains("red") ? "tie" : a.Contains("red") ? "A" : "B";
        return $$"""{"preferred":"{{which}}","confidence":0.9,"rationale":"The image shows a red bus."}""";
    }

    /// <summary>A claim checker that knows the truth (the bus is red), for claims mode; any other request gets the pairwise answer.</summary>
    public static string TruthfulClaims(JsonObject request)
    {
        var user = request["messages"]!.AsArray().Last()!["content"]!;
        var text = user is JsonArray parts ? parts.Select(p => p!["text"]?.GetValue<string>()).OfType<string>().Single() : user.GetValue<string>();
        const string marker = "Claim from an answer to it:\n";
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return Truthful(request);
        var claim = text[(at + marker.Length)..text.IndexOf("\n\nIs this claim true", StringComparison.Ordinal)];
        return claim.Contains("blue") ? """{"answer":"no","confidence":0.9,"rationale":"The bus in the image is red."}"""
            : """{"answer":"yes","confidence":0.9,"rationale":"The image shows it."}""";
    }

    /// <summary>A judge with position bias only: always the first answer.</summary>
    public static string AlwaysA(JsonObject request) => """{"preferred":"A","confidence":0.8,"rationale":"A reads better."}""";

    public static int ImageParts(JsonObject request) =>
        request["messages"]!.AsArray().Last()!["content"] is JsonArray parts ? parts.Count(p => p!["type"]?.GetValue<string>() == "image_url") : 0;
}
