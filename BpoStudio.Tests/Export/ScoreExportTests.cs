using System.Text.Json;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Judging;
using BpoStudio.Core.Review;
using BpoStudio.Core.Triage;
using BpoStudio.Tests.Infrastructure;
using BpoStudio.Tests.Judging;
using Microsoft.EntityFrameworkCore;
using Parquet.Serialization;

namespace BpoStudio.Tests.Export;

/// <summary>
/// Scores and the judge's weights in TRL and Parquet: the judge scored every bus pair (1 when right, 0 when wrong, one
/// half on every fifth bus, where it is position-biased); people, a calibrated threshold and a bulk accept decide them.
/// </summary>
public class ScoreExportTests : JudgedBuses
{
    private const string Judge = "judge:judge-vl";
    private readonly TestDataFolder _out = new();

    [Fact]
    public async Task TrlAndParquet_CarryTheScorersScores_AndTheJudgeWeighsOnlyPairsNoPersonDecided()
    {
        var decided = await DecideAsync();

        var trl = await ExportAsync(ExportFormat.Trl, Judge, judgeWeights: true);
        var lines = File.ReadLines(Path.Combine(trl.Folder, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.Equal(["chosen", "confidence", "images", "prompt", "rejected", "score", "weight"], l.EnumerateObject().Select(p => p.Name).Order()));
        Assert.All(lines, l => Assert.All(new[] { "score", "confidence", "weight" }, name => Assert.Equal(JsonValueKind.Number, l.GetProperty(name).ValueKind)));
        var expected = decided.Select(p => (p.Chosen, p.Rejected, p.Score, Weight: p.Source == DecisionSource.Person ? 1 : p.Score)).Order().ToList();
        Assert.Equal(expected, lines.Select(l => (Text(l, "chosen"), Text(l, "rejected"), l.GetProperty("score").GetDouble(), l.GetProperty("weight").GetDouble())).Order().ToList());

        var counts = trl.Manifest.Counts;
        Assert.Equal((Judge, (long)decided.Count), (counts.Scorer, counts.PairsScored));
        Assert.Equal(decided.Count(p => p.Source == DecisionSource.Threshold), counts.DecidedBy.Threshold);
        Assert.True(counts.DecidedBy.Threshold > 0 && counts.DecidedBy.People > 0 && counts.DecidedBy.Bulk > 0);
        Assert.Equal(decided.Count(p => p.Source != DecisionSource.Person && p.Score < 1), counts.PairsWeightedBelowOne);

        // Parquet: the same columns, typed, with the Hub's features naming them.
        var parquet = await ExportAsync(ExportFormat.Parquet, Judge, judgeWeights: true);
        var rows = await ReadParquetAsync<WeightedScoredParquetPairRow>(parquet.Folder);
        Assert.Equal(decided.ToDictionary(p => p.PairId, p => (p.Score, p.Source == DecisionSource.Person ? 1 : p.Score)),
            rows.ToDictionary(r => r.PairId, r => (r.Score!.Value, r.Weight)));
        // Unanimous verdicts (0 or 1) have confidence 1; the position-biased half splits its votes.
        Assert.All(rows, r => Assert.Equal(r.Score == 0.5 ? 0.5 : 1, r.Confidence));
        Assert.Contains("\"score\":{\"dtype\":\"float64\"", ParquetExportWriter.FeaturesWith(weight: true, scores: true));
        Assert.Contains("- name: confidence", File.ReadAllText(Path.Combine(parquet.Folder, "README.md")));
    }

    [Fact]
    public async Task PairsAScorerDidNotScore_AreLeftOutOfTrlWithTheReason_AndCarryNullsInParquet_AndAVersionCarriesTheScoresAsTheyAreNow()
    {
        var decided = await DecideAsync();
        var scores = _core.Get<ScoreService>();
        var (first, second) = (decided[0].PairId, decided[1].PairId);
        await scores.PushAsync(1, [new PushedScore(first, "reward-7b", 0.9, 0.8), new PushedScore(second, "reward-7b", 0.3)], TestPrincipals.Lead);
        await _core.Get<ApprovalService>().ApproveAsync(1, TestPrincipals.Lead, "with reward scores");
        await scores.PushAsync(1, [new PushedScore(first, "reward-7b", 0.2, 0.6)], TestPrincipals.Lead); // after the approval

        var trl = await ExportAsync(ExportFormat.Trl, "reward-7b");
        var lines = File.ReadLines(Path.Combine(trl.Folder, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([(0.2, 0.6), (0.3, 0.7)], lines.Select(l => (l.GetProperty("score").GetDouble(), l.GetProperty("confidence").GetDouble())).Order());
        Assert.Equal(decided.Count - 2, trl.Manifest.Counts.Skipped);
        Assert.All(trl.Manifest.Skipped, s => Assert.StartsWith("reward-7b gave no score for this pair", s.Reason));

        var version = await ExportAsync(ExportFormat.Parquet, "reward-7b", versionNumber: 1);
        var rows = (await ReadParquetAsync<ScoredParquetPairRow>(version.Folder)).ToDictionary(r => r.PairId);
        Assert.Equal(decided.Count, rows.Count);
        Assert.Equal((0.2, 0.6), (rows[first].Score, rows[first].Confidence)); // scores are not part of a version: the newest
        Assert.Equal((0.3, 0.7), (rows[second].Score, rows[second].Confidence)); // no confidence given: max(p, 1 - p)
        Assert.Equal(decided.Count - 2, rows.Values.Count(r => r.Score is null && r.Confidence is null));
        Assert.Equal(2, version.Manifest.Counts.PairsScored);
    }

    [Fact]
    public async Task TheCommandLine_ExportsScoresAndJudgeWeights()
    {
        var decided = await DecideAsync();
        var folder = Path.Combine(_out.Path, "cli");
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await BpoStudio.Cli.CliApp.RunAsync(["export", "--dataset", "buses", "--draft", "--format", "trl", "--scores", Judge, "--judge-weights", "--no-zip",
            "--out", folder, "--json", $"--BpoStudio:DataDirectory={_core.DataDirectory}"], output, error);
        Assert.True(code == 0, error.ToString());
        var lines = File.ReadLines(Directory.EnumerateFiles(folder, "train.jsonl", SearchOption.AllDirectories).Single()).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(decided.Count, lines.Count);
        Assert.Equal(decided.Count(p => p.Source != DecisionSource.Person && p.Score < 1), lines.Count(l => l.GetProperty("weight").GetDouble() < 1));
    }

    [Fact]
    public void ScoresAndJudgeWeights_AreRefusedWhereTheyCannotGo()
    {
        Assert.Contains("need the scorer", Assert.ThrowsAny<ArgumentException>(() => new ExportOptions(1, null, ExportFormat.Trl, JudgeWeights: true).Validate()).Message);
        Assert.Contains("no columns for scores", Assert.ThrowsAny<ArgumentException>(() => new ExportOptions(1, null, ExportFormat.LlamaFactory, Scorer: Judge).Validate()).Message);
        Assert.Contains("no column for pair weights", Assert.ThrowsAny<ArgumentException>(() => new ExportOptions(1, null, ExportFormat.Bpo, Scorer: Judge, JudgeWeights: true).Validate()).Message);
    }

    private sealed record DecidedPair(long PairId, string Chosen, string Rejected, double Score, DecisionSource Source);

    /// <summary>A blind sample reviewed by people, the pairs at or above 0.8 accepted by the calibrated threshold, the rest in bulk.</summary>
    private async Task<List<DecidedPair>> DecideAsync()
    {
        var calibration = _core.Get<JudgeCalibration>();
        var check = await calibration.DrawAsync(1, Judge, perBand: 2, seed: 5, TestPrincipals.Lead);
        await using (var db = await DbAsync())
        {
            var sampled = await db.SpotCheckItems.Where(i => i.SpotCheckId == check.Id).Join(db.Pairs, i => i.PairId, p => p.Id, (i, p) => new { p.Id, p.RowVersion }).ToListAsync();
            foreach (var pair in sampled) await _core.Get<ReviewService>().AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
        }
        await calibration.AcceptAtOrAboveAsync(check.Id, 0.8, TestPrincipals.Lead);
        await _core.Get<BulkActionService>().ApplyAsync(1, new BulkRequest(new PairFilter(Status: PairStatus.Pending), BulkOperation.Accept), TestPrincipals.Lead);
        await using var read = await DbAsync();
        return await read.Pairs.Where(p => p.Status == PairStatus.Accepted).OrderBy(p => p.Id)
            .Select(p => new DecidedPair(p.Id, p.ChosenResponse!.Text, p.RejectedResponse!.Text, read.PairScores.Single(s => s.PairId == p.Id && s.Scorer == Judge).PreferChosen!.Value, p.DecisionSource))
            .ToListAsync();
    }

    private async Task<ExportResult> ExportAsync(ExportFormat format, string scorer, bool judgeWeights = false, int? versionNumber = null)
    {
        var runner = _core.Get<ExportRunner>();
        var options = new ExportOptions(1, versionNumber, format, Scorer: scorer, JudgeWeights: judgeWeights);
        return await runner.RunAsync(await runner.PlanAsync(options, "lead"), Path.Combine(_out.Path, $"{format}-{Guid.NewGuid():N}"));
    }

    private static async Task<IList<T>> ReadParquetAsync<T>(string folder) where T : class, new() =>
        (await ParquetSerializer.DeserializeAsync<T>(Path.Combine(folder, ParquetExportWriter.FileFor("train")))).Data;

    private static string Text(JsonElement line, string side) => line.GetProperty(side)[0].GetProperty("content")[0].GetProperty("text").GetString()!;

    private Task<BpoDbContext> DbAsync() => _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}
