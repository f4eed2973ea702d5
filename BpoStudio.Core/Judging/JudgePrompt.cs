namespace BpoStudio.Core.Judging;

/// <summary>
/// A versioned judge prompt: every score keeps the name of the template it was made with, so a changed prompt never
/// passes for the old one. <c>{question}</c>, <c>{a}</c> and <c>{b}</c> are filled in; the images go before the text.
/// </summary>
public sealed record JudgePrompt(string Name, string System, string User)
{
    public static readonly JudgePrompt PairwiseV1 = new("pairwise-v1",
        "You judge answers to questions about images. Look at the image(s) first. Judge only what the image shows and " +
        "whether each answer states it correctly; an answer that mentions something the image does not show is wrong. " +
        "Do not prefer an answer for its length, its style or its position.",
        """
        Question: {question}

        Answer A:
        {a}

        Answer B:
        {b}

        Which answer is more faithful to the image and more correct? Reply with JSON only, nothing else:
        {"preferred": "A" or "B" or "tie", "confidence": a number from 0 to 1, "rationale": "one or two sentences"}
        """);

    public static IReadOnlyList<JudgePrompt> All { get; } = [PairwiseV1];

    // One pass: a question or an answer that itself contains "{a}" is left as written.
    public string Render(string question, string a, string b) =>
        global::System.Text.RegularExpressions.Regex.Replace(User, @"\{(question|a|b)\}", m => m.Groups[1].Value switch { "question" => question, "a" => a, _ => b });
}
