namespace BpoStudio.Core.Export;

/// <summary>
/// One user message of a record and where its images go: <see cref="Leading"/> images before its text, then the text
/// (with <c>&lt;image&gt;</c> placeholders where images sit inside it when <see cref="Interleaved"/>), then
/// <see cref="Trailing"/> images after it. Images are taken in order: the record's images column lists them in the
/// order the messages show them.
/// </summary>
/// <param name="AsWritten">The message as the source wrote it, when its placeholders are kept (LLaMA-Factory writes it verbatim).</param>
public readonly record struct UserMessageImages(int Leading, ReadOnlyMemory<byte> Text, bool Interleaved, int Trailing, ReadOnlyMemory<byte>? AsWritten = null)
{
    /// <summary>The text between placeholders, in order (one more than the placeholders); only for an interleaved message.</summary>
    public List<ReadOnlyMemory<byte>> Segments()
    {
        var segments = new List<ReadOnlyMemory<byte>>();
        var rest = Text;
        int at;
        while ((at = rest.Span.IndexOf(LoaderRules.ImagePlaceholderUtf8)) >= 0)
        {
            segments.Add(rest[..at]);
            rest = rest[(at + LoaderRules.ImagePlaceholderUtf8.Length)..];
        }
        segments.Add(rest);
        return segments;
    }
}

/// <summary>Where each user message's images go, and whether some could not go where the source put them.</summary>
public sealed record ImagePlan(IReadOnlyList<UserMessageImages> Messages, bool Moved)
{
    /// <summary>Every image opens the first question: the one layout a format without places between texts keeps.</summary>
    public bool AllOpenTheFirstQuestion => Messages[0] is { Interleaved: false, Trailing: 0 } && Messages.Skip(1).All(m => m is { Leading: 0, Interleaved: false, Trailing: 0 });

    /// <summary>Whether the images end up elsewhere than the source put them, in a format that keeps places or not.</summary>
    public bool MovedIn(bool formatKeepsPlaces) => Moved || (!formatKeepsPlaces && !AllOpenTheFirstQuestion);
}

/// <summary>
/// Keeps images where the source put them ("Picture 1: &lt;image&gt;\nPicture 2: &lt;image&gt;", a second turn's image in the
/// second turn), in formats whose messages can hold them in place (TRL and OpenAI content parts, LLaMA-Factory
/// placeholders). A message whose placeholders all open it keeps the usual form (images, then its cleaned text). Images
/// of the record with no placeholder of theirs (a plain question) open the first message; those whose placeholder lies
/// in a later turn than this record holds follow its last question, and the plan says they moved.
/// </summary>
public static class ImagePlacement
{
    public static ImagePlan Plan(ExportSample sample, int images)
    {
        var history = sample.Earlier;
        var count = history.Count + 1;
        var cleaned = new ReadOnlyMemory<byte>[count];
        var written = new ReadOnlyMemory<byte>?[count];
        for (var i = 0; i < history.Count; i++) (cleaned[i], written[i]) = (history[i].User.Memory, history[i].UserAsWritten?.Memory);
        (cleaned[^1], written[^1]) = (sample.Prompt.Memory, sample.OriginalPrompt?.Memory);
        var placeholders = written.Select(w => w is { } text ? text.Span.Count(LoaderRules.ImagePlaceholderUtf8) : 0).ToArray();
        var placed = placeholders.Sum();
        var messages = new UserMessageImages[count];
        if (images == 0 || placed == 0 || placed > images)
        {
            for (var i = 0; i < count; i++) messages[i] = new UserMessageImages(i == 0 ? images : 0, cleaned[i], false, 0);
            return new ImagePlan(messages, Moved: images > 0 && placed > 0);
        }
        for (var i = 0; i < count; i++)
            messages[i] = placeholders[i] == 0 ? new UserMessageImages(0, cleaned[i], false, 0)
                : AllOpening(written[i]!.Value.Span, placeholders[i]) ? new UserMessageImages(placeholders[i], cleaned[i], false, 0, written[i])
                : new UserMessageImages(0, written[i]!.Value, true, 0, written[i]);
        messages[^1] = messages[^1] with { Trailing = images - placed };
        return new ImagePlan(messages, Moved: images > placed);
    }

    // "<image>\n<image>\nWhat...": every placeholder before any other text.
    private static bool AllOpening(ReadOnlySpan<byte> text, int placeholders)
    {
        for (var i = 0; i < placeholders; i++)
        {
            text = text.TrimStart(" \t\r\n"u8);
            if (!text.StartsWith(LoaderRules.ImagePlaceholderUtf8)) return false;
            text = text[LoaderRules.ImagePlaceholderUtf8.Length..];
        }
        return true;
    }
}
