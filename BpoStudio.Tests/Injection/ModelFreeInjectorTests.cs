using BpoStudio.Core.Injection;

namespace BpoStudio.Tests.Injection;

public class ModelFreeInjectorTests
{
    private readonly ModelFreeInjector _injector = new();

    [Theory]
    [InlineData("A red bus is parked to the left of two small cars.")]
    [InlineData("The image shows three shapes on a white background: a large blue circle on the left and a small green square on the right.")]
    [InlineData("A man holds a sign that reads \"STOP\" next to 42 bottles.")]
    [InlineData("Two dogs are sitting in front of a wooden bench.")]
    public void SpansDescribeExactlyWhatChanged(string text)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var result = _injector.Inject(text, seed);
            Assert.True(result.Succeeded, result.Failure);
            Assert.NotEqual(text, result.Text);
            Assert.NotEmpty(result.Spans);

            // Undoing every span in reverse order must give back the input exactly.
            var restored = result.Text!;
            foreach (var span in result.Spans.OrderByDescending(s => s.Start))
            {
                Assert.Equal(span.Replacement, restored.Substring(span.Start, span.Length));
                Assert.NotEqual(span.Original, span.Replacement);
                restored = restored.Remove(span.Start, span.Length).Insert(span.Start, span.Original);
            }
            Assert.Equal(text, restored);
        }
    }

    [Fact]
    public void SameSeedGivesSameOutput_DifferentSeedsVary()
    {
        const string text = "A red bus is parked to the left of two small cars near a tall tree.";
        Assert.Equal(_injector.Inject(text, 7).Text, _injector.Inject(text, 7).Text);
        var outputs = Enumerable.Range(0, 20).Select(s => _injector.Inject(text, s).Text).Distinct().Count();
        Assert.True(outputs > 5, $"only {outputs} distinct outputs over 20 seeds");
    }

    [Fact]
    public void SaysSo_WhenNothingCanChange()
    {
        var result = _injector.Inject("Yes, it is.", 1);
        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Contains("nothing to change", result.Failure);
    }

    [Fact]
    public void KeepsCapitalisationAndCategories()
    {
        var result = _injector.Inject("Red.", 3);
        Assert.True(result.Succeeded);
        var span = Assert.Single(result.Spans);
        Assert.Equal(ErrorCategory.Colour, span.Category);
        Assert.True(char.IsUpper(result.Text![0]));
    }

    [Fact]
    public void ChangesPluralObjectToPluralObject()
    {
        var result = _injector.Inject("cars", 5);
        Assert.True(result.Succeeded);
        Assert.EndsWith("s", result.Text);
    }

    [Fact]
    public void ColoursAreWrittenInOneSpelling_GreyNeverGray()
    {
        var outputs = Enumerable.Range(0, 300).Select(seed => _injector.Inject("A red ball sits beside a gray box.", seed, maxEdits: 2).Text ?? "").ToList();
        Assert.Contains(outputs, o => o.Contains("grey"));
        Assert.DoesNotContain(outputs, o => o.Contains("gray ball")); // "red" never becomes "gray"
    }
}
