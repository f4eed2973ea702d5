namespace BpoStudio.Core.Datasets.Demo;

public sealed record DemoQuestion(string Prompt, string Answer);

/// <summary>Prompts and ground-truth answers derived from a scene's known contents.</summary>
public static class DemoQuestions
{
    private static readonly string[] NumberWords = ["no", "one", "two", "three", "four", "five"];

    public static IReadOnlyList<DemoQuestion> For(DemoScene scene, int seed)
    {
        var random = new Random(seed);
        var questions = new List<DemoQuestion> { Describe(scene) };
        var colour = scene.Objects[random.Next(scene.Objects.Count)].Colour;
        var n = scene.Objects.Count(o => o.Colour == colour);
        questions.Add(new($"How many {colour} objects are there in the image?",
            n == 1 ? $"There is one {colour} object in the image." : $"There are {NumberWords[n]} {colour} objects in the image."));

        var unique = scene.Objects.GroupBy(o => o.Shape).Where(g => g.Count() == 1).Select(g => g.Single()).ToList();
        if (unique.Count > 0)
        {
            var o = unique[random.Next(unique.Count)];
            questions.Add(new($"What colour is the {o.Shape}?", $"The {o.Shape} is {o.Colour}."));
        }
        if (scene.Objects.Count >= 2)
        {
            var i = random.Next(1, scene.Objects.Count);
            var (left, right) = (scene.Objects[i - 1], scene.Objects[i]);
            questions.Add(new($"What is directly to the left of the {right.Colour} {right.Shape}?",
                $"A {Size(left)} {left.Colour} {left.Shape} is directly to the left of the {right.Colour} {right.Shape}."));
        }
        return questions;
    }

    private static DemoQuestion Describe(DemoScene scene)
    {
        var parts = scene.Objects.Select((o, i) => $"a {Size(o)} {o.Colour} {o.Shape} {Place(scene, i)}").ToList();
        var list = parts.Count == 1 ? parts[0] : string.Join(", ", parts.Take(parts.Count - 1)) + " and " + parts[^1];
        return new("Describe the image in detail.",
            $"The image shows {NumberWords[scene.Objects.Count]} shapes on a {scene.Background} background: {list}.");
    }

    private static string Size(SceneObject o) => o.Large ? "large" : "small";

    private static string Place(DemoScene scene, int index) =>
        index == 0 ? "on the left" : index == scene.Objects.Count - 1 ? "on the right" : "in the middle";
}
