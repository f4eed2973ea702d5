using System.Text.Json;
using BpoStudio.Core;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Import;
using BpoStudio.Core.Jobs;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Triage;

/// <summary>"Accept as the source decided" through the Import page's path: the import job, then one bulk action.</summary>
public class SourceDecisionsTests : TriageDatasetTests
{
    [Fact]
    public async Task AnImportJobAskedToAcceptTheSource_AcceptsItsPairsAsOneBulkAction_AndOnlyForFormatsWithDecisions()
    {
        var uploads = Core.Get<DataPaths>().Uploads;
        Directory.CreateDirectory(uploads);
        var curated = Path.Combine(uploads, "curated.jsonl");
        File.Copy(Path.Combine(Core.DataDirectory, "source-" + TriageDataset.Name, "triage.jsonl"), curated);
        var imports = Core.Get<ImportService>();

        var job = await imports.StartAsync(new ImportJobParameters(curated, "curated", null, ImportFormat.Bpo, null, AcceptSource: true), TestPrincipals.Lead);
        await Core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var db = await NewDbAsync();
        Assert.Equal(JobStatus.Completed, (await db.Jobs.SingleAsync(j => j.Id == job.Id)).Status);
        var datasetId = await db.Datasets.Where(d => d.Name == "curated").Select(d => d.Id).SingleAsync();
        Assert.All(await db.Pairs.Where(p => p.DatasetId == datasetId).ToListAsync(), p => Assert.Equal((PairStatus.Accepted, DecisionSource.Bulk), (p.Status, p.DecisionSource)));
        var bulk = await db.BulkActions.SingleAsync();
        Assert.Equal((datasetId, 9, TestPrincipals.Lead.Identity!.Name), (bulk.DatasetId, bulk.Applied, bulk.CreatedBy)); // the file's nine records

        var llava = Path.Combine(uploads, "llava.json");
        await File.WriteAllTextAsync(llava, JsonSerializer.Serialize(new[] { new { id = "1", image = "a.png", conversations = new[] { new { from = "human", value = "<image>\nWhat?" }, new { from = "gpt", value = "A cat." } } } }));
        var refused = await Assert.ThrowsAnyAsync<ArgumentException>(() => imports.StartAsync(new ImportJobParameters(llava, "llava", null, null, null, AcceptSource: true), TestPrincipals.Lead));
        Assert.Contains("carry no decisions", refused.Message);
    }
}
