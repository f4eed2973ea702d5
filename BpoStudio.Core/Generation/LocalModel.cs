using System.Runtime.CompilerServices;
using Microsoft.ML.Tokenizers;
using SkiaSharp;

namespace BpoStudio.Core.Generation;

/// <summary>A streamed piece of an answer, with the running rate.</summary>
public sealed record AnswerChunk(string Text, int Tokens, double TokensPerSecond);

/// <summary>
/// A model folder ready to answer: the ONNX generator, its tokenizer, image preprocessing and chat template. The
/// VLM answers questions about an image; a text-only folder answers chat prompts (the local error injector).
/// </summary>
public sealed class LocalModel : IDisposable
{
    public const string ImagePlaceholder = "<image>";
    private readonly BpeTokenizer _tokenizer;

    private LocalModel(string folder, OnnxGenerator generator, BpeTokenizer tokenizer)
    {
        Folder = folder;
        Generator = generator;
        _tokenizer = tokenizer;
    }

    public string Folder { get; }
    public OnnxGenerator Generator { get; }
    public ModelManifest Manifest => Generator.Manifest;
    public string Name => Manifest.Name;

    public static LocalModel Open(string folder, int threads = 0, KvCacheHome? cacheHome = null)
    {
        var generator = OnnxGenerator.Open(folder, threads, cacheHome: cacheHome);
        try
        {
            return new LocalModel(folder, generator, TokenizerJson.Load(Path.Combine(folder, "tokenizer.json")));
        }
        catch
        {
            generator.Dispose();
            throw;
        }
    }

    /// <summary>The chat template filled in; for an image, the placeholder expands to the tile's image tokens.</summary>
    public string BuildPrompt(string question, bool withImage) => BuildPrompt(question, withImage ? 1 : 0);

    /// <summary>The template with one tile's image tokens per image, in order: the vision features fill them in that order.</summary>
    public string BuildPrompt(string question, int images)
    {
        var tile = "<fake_token_around_image><global-img>" + string.Concat(Enumerable.Repeat(ImagePlaceholder, Manifest.ImageTokens)) + "<fake_token_around_image>";
        var image = string.Concat(Enumerable.Repeat(tile, images));
        return Manifest.ChatTemplate.Replace("{image}", image, StringComparison.Ordinal).Replace("{prompt}", question.Replace(ImagePlaceholder, "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids.Where(id => !Manifest.EosTokenIds.Contains(id)));

    /// <summary>Decode, resize to one square tile, rescale and normalise with the manifest's mean and std: [3, size, size].</summary>
    public float[] Preprocess(byte[] imageBytes)
    {
        var size = Manifest.ImageSize;
        using var decoded = Imaging.ImageDecoding.DecodeToFit(imageBytes, size * 2);
        using var tile = decoded.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new InvalidDataException("The image could not be resized.");
        var pixels = tile.GetPixelSpan();
        var result = new float[3 * size * size];
        var plane = size * size;
        for (var i = 0; i < plane; i++)
            for (var c = 0; c < 3; c++)
                result[c * plane + i] = (pixels[i * 4 + c] / 255f - Manifest.ImageMean[c]) / Manifest.ImageStd[c];
        return result;
    }

    /// <summary>Streams the answer to <paramref name="question"/>, about <paramref name="image"/> when given, as text chunks.</summary>
    public async IAsyncEnumerable<AnswerChunk> AnswerAsync(string question, byte[]? image, SamplingSettings settings, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (image is not null && !Manifest.IsVisionLanguage) throw new ConflictError($"{Name} is a text-only model; it cannot look at an image.");
        var ids = Encode(BuildPrompt(question, image is not null)).Select(i => (long)i).ToArray();
        var features = image is null ? null : await Task.Run(() => Generator.EncodeImages(Preprocess(image), 1), ct);
        var generated = new List<int>();
        var emitted = "";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var token in Generator.GenerateAsync(ids, features, settings, ct))
        {
            generated.Add(token.Id);
            // Decode the whole answer each time: a multi-byte character may span tokens, so only append what is settled.
            var text = Decode(generated);
            if (text.Length > emitted.Length && text.StartsWith(emitted, StringComparison.Ordinal) && !text.EndsWith('\uFFFD'))
            {
                yield return new AnswerChunk(text[emitted.Length..], generated.Count, generated.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-6));
                emitted = text;
            }
        }
    }

    public void Dispose() => Generator.Dispose();
}
