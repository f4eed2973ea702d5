using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export.Formats;

/// <summary>Whether a trainer's truncation leaves a pair's two sides the same tokens.</summary>
public enum CutAlike
{
    No,

    /// <summary>Possibly: the token counts are not known without the model's tokenizer, and the upper bounds reach the limit.</summary>
    Possibly,

    /// <summary>Certainly: even the lower bounds reach the limit.</summary>
    Certainly,
}

/// <summary>
/// A pair whose texts first differ past the trainer's length limit trains as two identical sequences. Without the
/// model's tokenizer the token counts are bounded, not known: at least one token per whitespace-separated word (byte-level
/// BPE and SentencePiece both split at spaces) and at most one per UTF-8 byte. Left out when the lower bounds already
/// reach the limit; counted in the manifest when only the upper bounds do.
/// </summary>
public static class LengthLimit
{
    /// <summary>Tokens each <c>&lt;image&gt;</c> can become once a processor expands it (LLaVA-Interleave's 729, above LLaVA-1.5's 576).</summary>
    public const int MaxTokensPerImage = 729;

    /// <summary>
    /// S-VCO (data_collator.py): the whole conversation, instruction and images before the answer, is cut by
    /// <c>cur_input_ids = cur_input_ids[:, :max_len]</c>, max_len being run.py's <c>model_max_length</c>.
    /// </summary>
    public static CutAlike WholeSequence(ReadOnlySpan<byte> prompt, int images, ReadOnlySpan<byte> chosen, ReadOnlySpan<byte> rejected, int maxLength)
    {
        var shared = chosen.CommonPrefixLength(rejected);
        // Cheap first: the upper bounds alone must reach the limit. Equal texts are an image pair: the images differ.
        if (prompt.Length + images * MaxTokensPerImage + shared < maxLength || chosen.SequenceEqual(rejected)) return CutAlike.No;
        var (words, bytes) = CommonPrefix(chosen, rejected);
        if (Words(prompt) + images + words >= maxLength) return CutAlike.Certainly;
        return prompt.Length + images * MaxTokensPerImage + bytes >= maxLength ? CutAlike.Possibly : CutAlike.No;
    }

    /// <summary>
    /// mDPO's collator (DPODataCollatorWithPadding, keep_end): when prompt and the longer answer exceed <c>max_length</c>
    /// the prompt keeps its last <c>max_prompt_length</c> tokens, and when still too long each answer is cut to
    /// <c>max_length - max_prompt_length</c> tokens (run_mdpo_bunny.py: max_prompt_length = model_max_length // 2).
    /// Each answer gets an EOS token.
    /// </summary>
    public static CutAlike PromptThenAnswers(ReadOnlySpan<byte> prompt, ReadOnlySpan<byte> chosen, ReadOnlySpan<byte> rejected, int maxLength)
    {
        var maxPrompt = maxLength / 2;
        var kept = maxLength - maxPrompt;
        if (chosen.CommonPrefixLength(rejected) < kept || chosen.SequenceEqual(rejected)) return CutAlike.No;
        var (words, bytes) = CommonPrefix(chosen, rejected);
        var longerWords = Math.Max(Words(chosen), Words(rejected)) + 1;
        if (Math.Min(Words(prompt), maxPrompt) + longerWords > maxLength && words >= kept) return CutAlike.Certainly;
        var longerBytes = Math.Max(chosen.Length, rejected.Length) + 1;
        return Math.Min(prompt.Length, maxPrompt) + longerBytes > maxLength && bytes >= kept ? CutAlike.Possibly : CutAlike.No;
    }

    /// <summary>The leading whole words the texts share (their tokens are the same on both sides), and the bytes they share.</summary>
    public static (int Words, int Bytes) CommonPrefix(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var bytes = a.CommonPrefixLength(b);
        var words = Words(a[..bytes]);
        // The word the texts differ in may share its start, and its first tokens with it, or not: whole words only.
        var atBoundary = (bytes > 0 && IsSpace(a[bytes - 1])) || (EndsWordAt(a, bytes) && EndsWordAt(b, bytes));
        return (atBoundary ? words : Math.Max(0, words - 1), bytes);
    }

    private static bool EndsWordAt(ReadOnlySpan<byte> text, int at) => at == text.Length || IsSpace(text[at]);

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r' or 0x0B or 0x0C;

    private static int Words(ReadOnlySpan<byte> text) => BpoLoader.Words(text);
}
