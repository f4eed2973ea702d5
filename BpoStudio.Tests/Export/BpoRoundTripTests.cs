using System.Text.Json.Nodes;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Export;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Parquet.Serialization;

namespace BpoStudio.Tests.Export;

public class BpoRoundTripTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    private static readonly string[] Records =
    [
        """{"prompt":"<image>\nWhat do you see happening in this image?","image":"coco/train2017/000000000009.png","completions":[{"score":1,"response":"A red bus passes a tree.","type":"gt"},{"score":0,"response":"A green train passes a tree.","type":"llm-hal"},{"score":0,"response":"Two buses park near a house.","type":"mllm-hal"}],"id":"coco-9-0"}""",
        """{"prompt":"Describe the shapes.","image":"sam/images/sa_1.png","completions":[{"score":1,"response":"Three circles, one blue.","type":"gt"},{"score":1,"response":"There are three circles; one is blue.","type":"gt-rephrased"},{"score":0,"response":"Four squares, one blue.","type":"llm-hal"}],"id":"sam-1"}""",
        """{"prompt":"Zähle die Formen 🚌 <image>","image":"coco/train2017/000000000009.png","completions":[{"score":1,"response":"Zwei \"Formen\".","type":"gt"},{"score":0.25,"response":"Fünf Formen.","type":"llm-hal"}]}""",
    ];

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync(provider: Provider);

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task BpoIn_BpoStudio_BpoOut_IsLossless()
    {
        var datasetId = await ImportAcceptAndApproveAsync(Records);
        var runner = _core.Get<ExportRunner>();

        var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(datasetId, 1, ExportFormat.Bpo), "lead"), _files.File("out"));

        var output = await File.ReadAllLinesAsync(Path.Combine(result.Folder, "train.jsonl"));
        Assert.Equal(Records.Length, output.Length);
        for (var i = 0; i < Records.Length; i++)
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Records[i]), JsonNode.Parse(output[i])), $"record {i}:\n in: {Records[i]}\nout: {output[i]}");
        foreach (var image in new[] { "coco/train2017/000000000009.png", "sam/images/sa_1.png" })
            Assert.Equal(await File.ReadAllBytesAsync(_files.File("src/" + image)), await File.ReadAllBytesAsync(Path.Combine(result.Folder, "images", image)));
    }

    [Fact]
    public async Task TrlAndParquet_KeepEachPairsOwnChosenAnswer_AlsoFromSnapshotRowsWithoutResponseIds()
    {
        var datasetId = await ImportAcceptAndApproveAsync(Records);
        var runner = _core.Get<ExportRunner>();
        string[] expected = ["A red bus passes a tree.", "A red bus passes a tree.", "Three circles, one blue.", "There are three circles; one is blue.", "Zwei \"Formen\"."];

        foreach (var (name, unknownIds) in new[] { ("current", false), ("old", true) })
        {
            // Snapshot rows written before response ids were kept carry 0 for them.
            if (unknownIds)
                await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
                    await db.DatasetVersionItems.ExecuteUpdateAsync(s => s.SetProperty(i => i.ChosenResponseId, 0L));
            var trl = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(datasetId, 1, ExportFormat.Trl, CopyImages: false), "lead"), _files.File(name + "-trl"));
            var chosen = (await File.ReadAllLinesAsync(Path.Combine(trl.Folder, "train.jsonl")))
                .Select(line => JsonNode.Parse(line)!["chosen"]![0]!["content"]![0]!["text"]!.GetValue<string>()).ToList();
            Assert.Equal(expected, chosen);

            var parquet = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(datasetId, 1, ExportFormat.Parquet), "lead"), _files.File(name + "-parquet"));
            var rows = (await ParquetSerializer.DeserializeAsync<ParquetPairRow>(Path.Combine(parquet.Folder, ParquetExportWriter.FileFor("train")))).Data;
            Assert.Equal(expected, rows.OrderBy(r => r.PairId).Select(r => r.Chosen.Single().Content.Single().Text));
        }
    }

    private async Task<int> ImportAcceptAndApproveAsync(string[] records)
    {
        Directory.CreateDirectory(_files.File("src/coco/train2017"));
        Directory.CreateDirectory(_files.File("src/sam/images"));
        await File.WriteAllBytesAsync(_files.File("src/coco/train2017/000000000009.png"), DemoScene.Generate(1).RenderPng());
        await File.WriteAllBytesAsync(_files.File("src/sam/images/sa_1.png"), DemoScene.Generate(2).RenderPng());
        var input = _files.File("bpo.jsonl");
        await File.WriteAllLinesAsync(input, records);

        var summary = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(input, "round trip", _files.File("src")));
        Assert.Equal((3, 0), (summary.Imported, summary.Rejected.Count + summary.Flagged));
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
            await db.Pairs.ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PairStatus.Accepted));
        var datasetId = (await _core.Get<DatasetQueries>().ListAsync()).Single().Id;
        await _core.Get<ApprovalService>().ApproveAsync(datasetId, TestPrincipals.Lead, null);
        return datasetId;
    }
}
