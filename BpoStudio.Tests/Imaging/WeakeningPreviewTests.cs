using BpoStudio.Components.Pages.Imaging;
using BpoStudio.Tests.Infrastructure;
using Bunit;

namespace BpoStudio.Tests.Imaging;

public class WeakeningPreviewTests
{
    [Fact]
    public async Task ShowsOriginalBesideWeakened_WithTheParametersUsed()
    {
        await using var core = await CoreServices.StartAsync();
        await core.SeedDemoAsync();
        await using var ctx = ComponentContext.Create(core);

        var page = ctx.Render<WeakeningPreview>();

        page.WaitForAssertion(() => Assert.StartsWith("data:image/png;base64,", page.Find("[data-testid=weakened-image]").GetAttribute("src")), TimeSpan.FromSeconds(10));
        Assert.Matches("^/images/[0-9a-f]{64}/thumbnail/512$", page.Find("img[alt='original image']").GetAttribute("src"));
        var parameters = page.Find("[data-testid=weakening-parameters]").TextContent;
        Assert.Contains("\"transform\":\"diffusion-noise\"", parameters);
        Assert.Contains("\"step\":500", parameters);
        Assert.Contains("\"seed\":0", parameters);
        Assert.Equal(4, page.FindAll(".mud-slider").Count);
    }

    [Theory]
    [InlineData("What colour is the square?", 48, "What colour is the square?")]
    [InlineData("How many shapes are there in the picture, counting every small one?", 40, "How many shapes are there in the…")]
    [InlineData("Describe\nthe   image, please.", 40, "Describe the image, please.")]
    [InlineData("Supercalifragilisticexpialidocious-and-more", 20, "Supercalifragilisti…")]
    public void ImageLabels_EndAtAWordBoundary(string prompt, int max, string label)
    {
        var shown = BpoStudio.Components.Excerpt.Of(prompt, max);
        Assert.Equal(label, shown);
        Assert.True(shown.Length <= max);
    }
}
