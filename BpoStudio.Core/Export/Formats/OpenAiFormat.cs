using System.Text;
using System.Text.Json;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export.Formats;

/// <summary>OpenAI preference fine-tuning: JPEG, PNG or WebP images of 8-bit RGB(A), inline, at most 10 MB each.</summary>
public sealed class OpenAiFormat : IExportFormat
{
    public const long MaxImageBytes = 10L * 1024 * 1024;
    public static readonly IReadOnlySet<string> ImageTypes = new HashSet<string> { "image/jpeg", "image/png", "image/webp" };

    public ExportFormat Format => ExportFormat.OpenAi;
    public string WireName => "openai";
    public string Title => "OpenAI preference fine-tuning";
    public bool ReferencesImageFiles => false;
    public bool KeepsImagePlaces => true;
    public IReadOnlySet<string>? AcceptedImageTypes => ImageTypes;
    public bool NeedsRgbImages => true;
    public ExportWriter CreateWriter(string folder, string split) => new JsonLinesWriter(folder, split);
    public IExportPart CreatePart() => new OpenAiLines();

    /// <summary>OpenAI's preference fine-tuning takes at most this many images in an example.</summary>
    public int? MaxImages => 10;

    public string? CheckPair(ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        var images = sample.ImagesFrom(image);
        for (var i = 0; i < images.Count; i++)
        {
            var which = images.Count == 1 ? "the image" : $"image {i + 1} of {images.Count}";
            if (!ImageTypes.Contains(images[i].ContentType)) return $"OpenAI accepts JPEG, PNG or WEBP images, not {images[i].ContentType} ({which})";
            if (images[i].ByteSize > MaxImageBytes) return $"{which} is {images[i].ByteSize / 1048576.0:0.0} MB; OpenAI allows 10 MB (set a maximum image side)";
        }
        return null;
    }

    public string HowToLoad(string infoName, IReadOnlyList<string> dataFiles) => $"""
            Upload {string.Join(" and ", dataFiles)} with purpose "fine-tune" and create a fine-tuning job with method type "dpo"{(IExportFormat.HasValidation(dataFiles) ? $", giving {dataFiles.First(f => Path.GetFileName(f).StartsWith("validation", StringComparison.Ordinal))} as the validation file" : "")}.
            Images are embedded as data URIs, so the files are self-contained.
            """;
}

/// <summary>OpenAI preference fine-tuning: images inline as data URIs in the first user message; earlier turns as the messages before.</summary>
public sealed class OpenAiLines : PairLinesPart
{
    protected override void WriteRecord(Utf8JsonWriter json, ExportSample sample, ExportPair pair, ExportedImage? image)
    {
        json.WriteStartObject();
        json.WriteStartObject(Names.Input);
        json.WriteStartArray(Names.Messages);
        var history = sample.Earlier;
        var images = sample.ImagesFrom(image);
        var plan = ImagePlacement.Plan(sample, images.Count);
        var next = 0;
        for (var i = 0; i < history.Count; i++)
        {
            UserMessage(json, plan.Messages[i], images, ref next);
            json.WriteStartObject();
            json.WriteString(Names.Role, Names.Assistant);
            json.WriteString(Names.Content, history[i].Assistant.Span);
            json.WriteEndObject();
        }
        UserMessage(json, plan.Messages[^1], images, ref next);
        json.WriteEndArray();
        json.WriteEndObject();
        Output(json, Names.PreferredOutput, pair.Chosen.Text.Span);
        Output(json, Names.NonPreferredOutput, pair.Rejected.Text.Span);
        json.WriteEndObject();
    }

    // The question's text, then its images; an interleaved question's images between its texts, where the source put them.
    private static void UserMessage(Utf8JsonWriter json, UserMessageImages message, IReadOnlyList<ExportedImage> images, ref int next)
    {
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.User);
        json.WriteStartArray(Names.Content);
        if (!message.Interleaved)
        {
            TextPart(json, message.Text.Span);
            for (var i = 0; i < message.Leading; i++) ImagePart(json, images[next++]);
        }
        else
        {
            var segments = message.Segments();
            for (var i = 0; i < segments.Count; i++)
            {
                if (i > 0) ImagePart(json, images[next++]);
                if (!segments[i].IsEmpty) TextPart(json, segments[i].Span);
            }
        }
        for (var i = 0; i < message.Trailing; i++) ImagePart(json, images[next++]);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void ImagePart(Utf8JsonWriter json, ExportedImage image)
    {
        json.WriteStartObject();
        json.WriteString(Names.Type, Names.ImageUrl);
        json.WriteStartObject(Names.ImageUrl);
        json.WriteString(Names.Url, $"data:{image.ContentType};base64,{Convert.ToBase64String(image.Bytes!)}");
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void TextPart(Utf8JsonWriter json, ReadOnlySpan<byte> text)
    {
        json.WriteStartObject();
        json.WriteString(Names.Type, Names.Text);
        json.WriteString(Names.Text, text);
        json.WriteEndObject();
    }

    private static void Output(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<byte> text)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        json.WriteString(Names.Role, Names.Assistant);
        json.WriteString(Names.Content, text);
        json.WriteEndObject();
        json.WriteEndArray();
    }
}

