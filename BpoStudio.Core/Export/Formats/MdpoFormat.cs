using System.Text;

namespace BpoStudio.Core.Export.Formats;

/// <summary>
/// mDPO's training data (luka-group/mDPO, <c>run_mdpo_bunny.py</c>): JSON lines of <c>img_path</c>, <c>prompt</c>,
/// <c>chosen</c>, <c>rejected</c>. Its collator opens <c>img_path</c> for every record and tokenizes the prompt with
/// Bunny's <c>tokenizer_image_token</c>, which turns each <c>&lt;image&gt;</c> into the one image's token: so every record
/// has an image and its prompt exactly one placeholder, in Bunny's chat template. <c>rejected_img_path</c> is the image
/// the rejected answer goes with: the same image for a text pair, the weakened one for an image pair. mDPO's collator
/// reads only the four keys it names, so the extra one costs nothing; it is on every line, so <c>datasets</c> types the
/// column as text whichever rows it samples.
/// </summary>
public sealed class MdpoFormat : IExportFormat
{
    public const string SystemPrompt = "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

    public ExportFormat Format => ExportFormat.Mdpo;
    public string WireName => "mdpo";
    public string Title => "mDPO (img_path, prompt, chosen, rejected)";
    public bool ReferencesImageFiles => true;
    public bool CarriesImagePairs => true;

    /// <summary>Bunny's collator opens the one img_path.</summary>
    public int? MaxImages => 1;

    /// <summary>The template holds one question; a later turn is written with its own.</summary>
    public bool HoldsHistory => false;

    /// <summary>bunny/config.yaml: <c>model_max_length: 2048</c> (max_prompt_length is half of it).</summary>
    public int? DefaultMaxLength => 2048;

    public CutAlike CutAlike(ExportSample sample, ExportPair pair, int maxLength) =>
        LengthLimit.PromptThenAnswers(MdpoLines.Prompt(sample), pair.Chosen.Text.Span, pair.Rejected.Text.Span, maxLength);

    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new MdpoLines();

    public string? NoImageReason => "mDPO's collator opens img_path for every record; a text-only record would stop its training";

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            Run training from this folder (img_path is relative to it): set dataset_path in mDPO's bunny/config.yaml to
            {string.Join(" or ", dataFiles.Select(Path.GetFileName))} and start bunny/run_mdpo_bunny.py. The prompt is Bunny's chat
            template with one <image>. mDPO's conditional term does not read a second image: its trainer runs the chosen
            answer again with mask_visual_tokens=True, and the model's forward pass crops the image itself
            (images = self.crop_images(images)). rejected_img_path is the image the rejected answer goes with: img_path again for a text pair, the
            weakened image for an image pair (whose chosen and rejected answers are the same text). Stock mDPO ignores it,
            so an image pair adds nothing to its DPO term; to use your curated weakenings as the conditional term's
            corrupted image, pass rejected_img_path's image to that second forward pass instead of masking.
            Its collator cuts each answer to model_max_length / 2 tokens when prompt and answer are too long: pairs whose
            answers first differ past that are left out (manifest.json lists them; export --max-length sets the limit,
            2048 by default as in bunny/config.yaml), and those that may be, by the token counts' bounds, are counted
            (pairsPossiblyCutAlike).
            """;
}

/// <summary>A line per pair: Bunny's template around the question, the answers as they are.</summary>
public sealed class MdpoLines : JsonLinesPart
{
    private static readonly byte[] PromptStart = Encoding.UTF8.GetBytes(MdpoFormat.SystemPrompt + " USER: <image>\n");
    private static ReadOnlySpan<byte> PromptEnd => " ASSISTANT:"u8;

    /// <summary>Bunny's template around the question, as the record's prompt holds it.</summary>
    public static byte[] Prompt(ExportSample sample)
    {
        var prompt = new byte[PromptStart.Length + sample.Prompt.Span.Length + PromptEnd.Length];
        PromptStart.CopyTo(prompt, 0);
        sample.Prompt.Span.CopyTo(prompt.AsSpan(PromptStart.Length));
        PromptEnd.CopyTo(prompt.AsSpan(PromptStart.Length + sample.Prompt.Span.Length));
        return prompt;
    }

    public override void Add(ExportSample sample, IReadOnlyList<ExportPair> pairs, ExportedImage? image)
    {
        if (image is null) return;
        var prompt = Prompt(sample);
        foreach (var pair in pairs)
        {
            Json.WriteStartObject();
            Json.WriteString("img_path"u8, image.RelativePath);
            Json.WriteString("prompt"u8, prompt);
            Json.WriteString("chosen"u8, pair.Chosen.Text.Span);
            Json.WriteString("rejected"u8, pair.Rejected.Text.Span);
            Json.WriteString("rejected_img_path"u8, (pair.RejectedImages?[0] ?? image).RelativePath);
            Json.WriteEndObject();
            EndLine();
        }
    }
}
