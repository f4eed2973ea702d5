namespace BpoStudio.Core.Injection;

public enum InjectionMode
{
    Description,
    QuestionAnswering,
}

/// <summary>The prompt templates of the BPO method's error injection, and the paraphrase prompt.</summary>
public static class InjectionPrompts
{
    public const string System = "You rewrite answers about images exactly as instructed. Reply with the rewritten text only, with no preamble.";

    public const string Description = """
        Here is a description of an image:
        {answer}

        Modify the description by changing the original details, such as adding more objects, deleting objects, or
        changing the attributes of objects (colour, shape, size, location), their number, their spatial relations or
        any text in the image. Make sure the changed description is common and logical, and keep its style and length.
        Output only the modified description.
        """;

    public const string QuestionAnswering = """
        Given a question about an image and its correct answer, write the answer the question would have for a
        similar image with different details: other objects, colours, counts, positions or text. Make the answer
        common and plausible, in the same style and length.

        Question: What colour is the bus?
        Answer: The bus is red.
        Answer for a similar image: The bus is blue.

        Question: How many people are on the bench?
        Answer: There are two people sitting on the bench.
        Answer for a similar image: There are three people sitting on the bench.

        Question: {prompt}
        Answer: {answer}
        Answer for a similar image:
        """;

    public const string Paraphrase = """
        Paraphrase this answer to a question about an image. Keep every fact exactly (objects, colours, counts,
        positions, text), change only the wording. Output only the paraphrase.

        Question: {prompt}
        Answer: {answer}
        """;

    /// <summary>Long or descriptive answers are rewritten as descriptions, short ones as answers to their question.</summary>
    public static InjectionMode ModeFor(string prompt, string answer) =>
        answer.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 25 || prompt.Contains("describ", StringComparison.OrdinalIgnoreCase)
            ? InjectionMode.Description
            : InjectionMode.QuestionAnswering;

    public static string Render(string template, string prompt, string answer) =>
        template.Replace("{prompt}", prompt.Replace("<image>", "").Trim(), StringComparison.Ordinal).Replace("{answer}", answer, StringComparison.Ordinal);
}
