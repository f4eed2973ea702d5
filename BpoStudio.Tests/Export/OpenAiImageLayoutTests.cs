using System.Buffers.Binary;
using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Imaging;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Tests.Export;

/// <summary>OpenAI takes RGB or RGBA images only: every other layout is converted, whatever the image format asked for.</summary>
public class OpenAiImageLayoutTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;
    private int _datasetId;

    private static readonly (string Name, byte[] Bytes)[] Images =
    [
        ("grey.png", TestImages.Png(colourType: 0)),
        ("palette.png", TestImages.Png(colourType: 3)),
        ("grey-alpha.png", TestImages.Png(colourType: 4)),
        ("deep.png", TestImages.Png(colourType: 6, bitDepth: 16)),
        ("rgba.png", TestImages.Png(colourType: 6)),
        ("grey.jpg", TestImages.GreyJpeg()),
    ];

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync();
        Directory.CreateDirectory(_files.File("images"));
        foreach (var (name, bytes) in Images) await File.WriteAllBytesAsync(_files.File("images/" + name), bytes);
        await File.WriteAllTextAsync(_files.File("layouts.json"), JsonSerializer.Serialize(Images.Select(i => new
        {
            id = i.Name, image = i.Name,
            conversations = new[] { new { from = "human", value = "<image>\nWhat is it?" }, new { from = "gpt", value = $"A gradient ({i.Name})." } },
        })));
        await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(_files.File("layouts.json"), "layouts", _files.File("images")));
        _datasetId = (await _core.Get<DatasetQueries>().ListAsync()).Single(d => d.Name == "layouts").Id;
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        foreach (var gt in await db.Responses.ToListAsync())
        {
            var negative = new Response { SampleId = gt.SampleId, Text = "A photo of a cat.", Kind = ResponseKind.LlmHal, CreatedAt = DateTime.UtcNow };
            db.Responses.Add(negative);
            await db.SaveChangesAsync();
            db.Pairs.Add(new PreferencePair { DatasetId = _datasetId, SampleId = gt.SampleId, ChosenResponseId = gt.Id, RejectedResponseId = negative.Id, Status = PairStatus.Accepted });
        }
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    [Theory]
    [InlineData(ImageEncoding.Original)]
    [InlineData(ImageEncoding.Jpeg)]
    [InlineData(ImageEncoding.Png)]
    public async Task EveryInlinedImage_IsEightBitRgbOrRgba(ImageEncoding encoding)
    {
        var runner = _core.Get<ExportRunner>();
        var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, null, ExportFormat.OpenAi, ImageEncoding: encoding), "lead"), _files.File($"out-{encoding}"));

        Assert.Equal(Images.Length, TrainerLoaderChecks.OpenAi(result.Folder, "train.jsonl"));
        foreach (var line in File.ReadLines(Path.Combine(result.Folder, "train.jsonl")))
        {
            using var record = JsonDocument.Parse(line);
            var url = record.RootElement.GetProperty("input").GetProperty("messages")[0].GetProperty("content")[1].GetProperty("image_url").GetProperty("url").GetString()!;
            var bytes = Convert.FromBase64String(url[(url.IndexOf(',') + 1)..]);
            Assert.True(IsRgbOrRgba(bytes), $"{url[..30]}... is not 8-bit RGB or RGBA");
        }
    }

    // Read from the file formats' own headers (PNG IHDR, JPEG start of frame), not from the exporter's helper.
    private static bool IsRgbOrRgba(byte[] bytes)
    {
        if (bytes[0] == 0x89) return bytes[24] == 8 && (bytes[25] == 2 || bytes[25] == 6);
        if (bytes[0] == 0xFF && bytes[1] == 0xD8)
            for (var at = 2; at < bytes.Length - 9; at += 2 + BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at + 2)))
                if (bytes[at + 1] is 0xC0 or 0xC1 or 0xC2) return bytes[at + 9] == 3;
        return bytes[8..12].SequenceEqual("WEBP"u8.ToArray());
    }
}
