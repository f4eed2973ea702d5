using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Datasets;

public class DemoSeederTests
{
    [Fact]
    public async Task SeedsScenesWithPairs_AndIsIdempotent()
    {
        await using var core = await CoreServices.StartAsync();
        var seeder = core.Get<DemoSeeder>();

        Assert.True(await seeder.SeedAsync());
        Assert.False(await seeder.SeedAsync());

        await using var db = await core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.Datasets.CountAsync());
        Assert.Equal(DemoSeeder.SceneCount, await db.StoredImages.CountAsync());
        var samples = await db.Samples.Include(s => s.Responses).ToListAsync();
        Assert.True(samples.Count >= DemoSeeder.SceneCount * 3);
        Assert.All(samples, s =>
        {
            Assert.NotNull(s.ImageHash);
            var gt = Assert.Single(s.Responses, r => r.Kind == ResponseKind.Gt);
            var negatives = s.Responses.Where(r => r.Kind == ResponseKind.LlmHal).ToList();
            Assert.NotEmpty(negatives);
            Assert.All(negatives, n => Assert.NotEqual(gt.Text, n.Text));
            Assert.All(negatives, n => Assert.False(string.IsNullOrEmpty(n.Provenance.ChangedSpansJson)));
        });
        var pairs = await db.Pairs.CountAsync();
        Assert.Equal(samples.Sum(s => s.Responses.Count(r => r.Kind == ResponseKind.LlmHal)), pairs);
    }

    [Fact]
    public void AnswersFollowTheScene()
    {
        var scene = new DemoScene("white", [
            new SceneObject("circle", "red", true, 64, 140),
            new SceneObject("square", "red", false, 192, 140),
            new SceneObject("star", "blue", false, 320, 240),
        ]);
        var questions = DemoQuestions.For(scene, seed: 0);

        Assert.Contains(questions, q => q.Answer == "The image shows three shapes on a white background: a large red circle on the left, a small red square in the middle and a small blue star on the right.");
        var count = questions.Single(q => q.Prompt.StartsWith("How many", StringComparison.Ordinal));
        Assert.Equal(count.Prompt.Contains("red") ? "There are two red objects in the image." : "There is one blue object in the image.", count.Answer);
    }
}
