using System.Text.Json;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Review;
using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Bootstrapping;

public class ImagePairTests : IAsyncLifetime
{
    private const string Method = "image-pair:random-mask";
    private readonly TestDataFolder _out = new();
    private CoreServices _core = null!;
    private int _datasetId;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        _datasetId = await _core.SeedDemoAsync();
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _out.Dispose();
    }

    [Fact]
    public async Task AnImagePairJob_PairsTheGroundTruthWithItselfUnderSeededWeakenedImages_ReproduciblyAndUnflagged()
    {
        Assert.Contains(Method, _core.Get<LlmBackend>().AvailableMethods); // no model needed
        await RunJobAsync(count: 2, seed: 4);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var made = await db.Responses.Include(r => r.Sample).ThenInclude(s => s!.Responses).Where(r => r.Kind == ResponseKind.ImagePair).ToListAsync();
        Assert.Equal(2 * 3, made.Count);
        var store = _core.Get<ImageStore>();
        foreach (var response in made)
        {
            var truth = response.Sample!.Responses.Single(r => r.Kind == ResponseKind.Gt);
            Assert.Equal(truth.Text, response.Text);
            Assert.NotEqual(response.Sample.ImageHash, response.Provenance.WeakenedImageHash);
            // (image, transform, parameters, seed) give the same weakened image again, byte for byte.
            using var parameters = JsonDocument.Parse(response.Provenance.ParametersJson!);
            var weakening = parameters.RootElement.GetProperty("weakening");
            var again = new ImageWeakener().Weaken(await store.ReadAsync(response.Sample.ImageHash!), new WeakeningSpec(weakening.GetProperty("transform").GetString()!,
                weakening.GetProperty("parameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble())), weakening.GetProperty("seed").GetInt64());
            Assert.Equal(response.Provenance.WeakenedImageHash, (await store.PutAsync(again.Png)).Hash);
            // Paired with the ground truth only, and not flagged as an identical negative.
            var pair = await db.Pairs.SingleAsync(p => p.RejectedResponseId == response.Id);
            Assert.Equal(truth.Id, pair.ChosenResponseId);
            Assert.False(await db.PairFindings.AnyAsync(f => f.PairId == pair.Id && (f.CheckId == "identical" || f.CheckId == "near-identical")));
        }
        Assert.Equal(2, made.GroupBy(r => r.SampleId).First().Select(r => r.Provenance.WeakenedImageHash).Distinct().Count());
    }

    [Fact]
    public async Task ATransformWithoutRandomness_GivesOnePairNotTwoOfTheSameImage()
    {
        var parameters = new GenerationParameters(_datasetId, SampleFilter.Selection, [new GenerationMethod("image-pair:gaussian-blur", 2)], 0, SampleIds: [1])
            .Validated(_core.Get<LlmBackend>().AvailableMethods);
        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, _datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);

        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.Responses.CountAsync(r => r.Kind == ResponseKind.ImagePair));
        var failure = Assert.Single(await _core.Get<JobService>().FailuresAsync(job.Id));
        Assert.Contains("identical to one the sample already has", failure.Reason);
        var sample = await db.Samples.SingleAsync(s => s.Id == 1);
        Assert.StartsWith($"record {sample.Source.RecordId}", failure.ItemKey); // as the lead knows it from the source, not a row id
        Assert.EndsWith("(sample 1)", failure.ItemKey);
    }

    [Fact]
    public async Task ImagePairs_AreReviewedLikeAnyPair_AndFormatsWithOneImageLeaveThemOutSayingWhy()
    {
        await RunJobAsync(count: 1, seed: 1);
        long imagePairId;
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var pair = await db.Pairs.Where(p => db.Responses.Any(r => r.Id == p.RejectedResponseId && r.Kind == ResponseKind.ImagePair)).OrderBy(p => p.Id).FirstAsync();
            imagePairId = pair.Id;
            // Its sides share one answer: swapping or editing it would make a text pair under the wrong image.
            var reviews = _core.Get<ReviewService>();
            Assert.Contains("is an image pair", (await Assert.ThrowsAsync<ReviewRefusedException>(() => reviews.SwapAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator))).Message);
            Assert.Contains("cannot be edited", (await Assert.ThrowsAsync<ReviewRefusedException>(() => reviews.EditAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator, PairSide.Rejected, "Something else."))).Message);
            var accepted = await reviews.AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
            Assert.Equal(PairStatus.Accepted, accepted.Status);
            var shown = (await _core.Get<ReviewQueries>().LoadAsync(accepted.PairId))!;
            Assert.Equal(ResponseKind.ImagePair, shown.Rejected.Kind);
            Assert.NotNull(shown.Rejected.Provenance.WeakenedImageHash);
            var textPair = await db.Pairs.Where(p => db.Responses.Any(r => r.Id == p.RejectedResponseId && r.Kind == ResponseKind.LlmHal)).OrderBy(p => p.Id).FirstAsync();
            await _core.Get<ReviewService>().AcceptAsync(textPair.Id, textPair.RowVersion, TestPrincipals.Annotator);
        }

        foreach (var format in ExportFormats.All.Where(f => !f.Describe().CarriesImagePairs))
        {
            var runner = _core.Get<ExportRunner>();
            var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, null, format), "lead"), Path.Combine(_out.Path, format.WireName()));
            var skipped = Assert.Single(result.Manifest.Skipped, s => s.PairId == imagePairId);
            Assert.Contains($"an image pair (the same answer under a weakened image): {format.WireName()} records give both sides the same images", skipped.Reason);
            Assert.Contains("formats that carry image pairs: ", skipped.Reason);
            Assert.Equal(1, result.Manifest.Counts.Pairs); // the text pair
        }
    }

    [Fact]
    public async Task MdpoAndSvco_CarryAnImagePairsWeakenedImage_FromADraftAndFromAnApprovedVersion()
    {
        await RunJobAsync(count: 1, seed: 2);
        string weakenedHash;
        await using (var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync())
        {
            var imagePair = await db.Pairs.Where(p => db.Responses.Any(r => r.Id == p.RejectedResponseId && r.Kind == ResponseKind.ImagePair)).OrderBy(p => p.Id).FirstAsync();
            var textPair = await db.Pairs.Where(p => p.SampleId == imagePair.SampleId && db.Responses.Any(r => r.Id == p.RejectedResponseId && r.Kind == ResponseKind.LlmHal)).FirstAsync();
            weakenedHash = (await db.Responses.SingleAsync(r => r.Id == imagePair.RejectedResponseId)).Provenance.WeakenedImageHash!;
            foreach (var pair in new[] { imagePair, textPair }) await _core.Get<ReviewService>().AcceptAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator);
        }
        var weakenedBytes = await _core.Get<ImageStore>().ReadAsync(weakenedHash);
        var runner = _core.Get<ExportRunner>();

        var draft = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, null, ExportFormat.Svco), "lead"), Path.Combine(_out.Path, "svco"));
        Assert.Equal(2, draft.Manifest.Counts.Pairs);
        var records = Export.TrainerLoaderChecks.Svco(draft.Folder, "train.json");
        var image = Assert.Single(records, r => r.GetProperty("rejected_images")[0].GetString() != r.GetProperty("chosen_images")[0].GetString());
        Assert.Equal(image.GetProperty("chosen_response").GetString(), image.GetProperty("rejected_response").GetString());
        Assert.Equal(weakenedBytes, await File.ReadAllBytesAsync(Path.Combine(draft.Folder, image.GetProperty("rejected_images")[0].GetString()!)));
        var text = Assert.Single(records, r => r.GetProperty("rejected_images")[0].GetString() == r.GetProperty("chosen_images")[0].GetString());
        Assert.NotEqual(text.GetProperty("chosen_response").GetString(), text.GetProperty("rejected_response").GetString());

        // A version's export reads its frozen rows; the weakened image still comes from the image pair's response.
        await _core.Get<Core.Approval.ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        var version = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, 1, ExportFormat.Mdpo), "lead"), Path.Combine(_out.Path, "mdpo"));
        Assert.Equal(2, Export.TrainerLoaderChecks.Mdpo(version.Folder, "train.jsonl"));
        var lines = File.ReadLines(Path.Combine(version.Folder, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var imageLine = Assert.Single(lines, l => l.GetProperty("rejected_img_path").GetString() != l.GetProperty("img_path").GetString());
        Assert.Equal(imageLine.GetProperty("chosen").GetString(), imageLine.GetProperty("rejected").GetString());
        Assert.Equal(weakenedBytes, await File.ReadAllBytesAsync(Path.Combine(version.Folder, imageLine.GetProperty("rejected_img_path").GetString()!)));
    }

    [Fact]
    public async Task ChoosingAnImageToWeaken_LeavesOneImageSamplesAlone_TheirOneImageIsWeakened()
    {
        await RunJobAsync(count: 1, seed: 5, weakenImage: 2);
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var made = await db.Responses.Where(r => r.Kind == ResponseKind.ImagePair).ToListAsync();
        Assert.Equal(3, made.Count);
        Assert.All(made, r => Assert.Null(r.Provenance.WeakenedImageIndex));
        Assert.DoesNotContain("scope", made[0].Provenance.ParametersJson);
    }

    private async Task RunJobAsync(int count, long seed, int? weakenImage = null)
    {
        var parameters = new GenerationParameters(_datasetId, SampleFilter.Selection, [new GenerationMethod(Method, count)], seed, SampleIds: [1, 2, 3], WeakenImage: weakenImage)
            .Validated(_core.Get<LlmBackend>().AvailableMethods);
        var job = await _core.Get<JobService>().CreateAsync(JobKind.Generate, _datasetId, parameters.ToJson(), TestPrincipals.Lead);
        await _core.Get<JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Completed, (await _core.Get<JobService>().GetAsync(job.Id))!.Status);
    }
}
