using System.Text.Json;
using BpoStudio.Core.Generation;
using BpoStudio.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BpoStudio.Tests.Generation;

public class BatchGeneratorTests : IDisposable
{
    private static readonly SyntheticModelSize Size = new();
    private readonly TestDataFolder _folder = new();

    public BatchGeneratorTests() => SyntheticModels.WriteSmolVlmFolder(_folder.Path, Size, seed: 3);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TheSyntheticDecoder_HonoursTheMaskAndPositions_SoPaddingBugsChangeItsOutput()
    {
        using var decoder = new InferenceSession(_folder.File("onnx/decoder_model_merged.onnx"));
        long[] ids = [1, 5, 7, 9, 11];
        var embeds = Embeds(ids);
        var plain = LastLogits(decoder, embeds, [1, 1, 1, 1, 1], [0, 1, 2, 3, 4]);

        // Two pad rows in front, masked and with the positions counted from the first real token: the same logits.
        var padded = new float[2 * Size.Hidden].Concat(embeds).ToArray();
        Assert.Equal(plain, LastLogits(decoder, padded, [0, 0, 1, 1, 1, 1, 1], [0, 0, 0, 1, 2, 3, 4]), new Tolerance(1e-4f));
        // Each of the two classic bugs changes them: pads left visible, or positions counted from the pads.
        Assert.NotEqual(plain, LastLogits(decoder, padded, [1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 2, 3, 4]), new Tolerance(1e-3f));
        Assert.NotEqual(plain, LastLogits(decoder, padded, [0, 0, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5, 6]), new Tolerance(1e-3f));
    }

    // Provider: the cache stays in the provider's memory and rows move by the gather graph, as on a GPU.
    [Theory]
    [InlineData(KvCacheHome.Host)]
    [InlineData(KvCacheHome.Provider)]
    public async Task Greedy_EverySequenceOfABatch_IsExactlyWhatItIsAlone_WithMixedLengthsImagesAndEarlyStops(KvCacheHome home)
    {
        StopAtAFrequentToken();
        using var host = OnnxGenerator.Open(_folder.Path);
        using var generator = OnnxGenerator.Open(_folder.Path, cacheHome: home);
        Assert.Equal(home, generator.CacheHome);
        var requests = Requests(10, seed => new SamplingSettings(MaxNewTokens: 3 + (int)(seed * 7 % 15), Seed: seed));

        var alone = await AloneAsync(host, requests);
        var batch = new BatchGenerator(generator, batchSize: 4);
        var together = await ByTagAsync(batch.RunAsync(requests));

        Assert.Equal(alone, together);
        Assert.Contains(together.Values, t => t.Stop == StopReason.Eos);
        Assert.Contains(together.Values, t => t.Stop == StopReason.MaxTokens);
        // Continuous refill ran both ways: rows rewritten in place, and caches rebuilt (a longer prompt, the tail).
        Assert.True(batch.Statistics.InPlaceRefills > 0, "no in-place refill");
        Assert.True(batch.Statistics.Rebuilds > 0, "no rebuild");
        Assert.True(batch.Statistics.Occupancy > 2, $"rows per step {batch.Statistics.Occupancy:0.0}");

        var drained = await ByTagAsync(new BatchGenerator(generator, batchSize: 4, refill: false).RunAsync(requests));
        Assert.Equal(alone, drained);
    }

    [Fact]
    public async Task SeededSampling_GivesTheSameTokensWhateverTheBatchMates()
    {
        WithoutEos();
        using var generator = OnnxGenerator.Open(_folder.Path);
        var requests = Requests(7, seed => new SamplingSettings(Temperature: 1.3f, TopK: 30, TopP: 0.9f, RepetitionPenalty: 1.1f, Seed: seed, MaxNewTokens: 6 + (int)seed));

        var alone = await AloneAsync(generator, requests);
        var inThrees = await ByTagAsync(new BatchGenerator(generator, 3).RunAsync(requests));
        var reversedInFives = await ByTagAsync(new BatchGenerator(generator, 5).RunAsync(requests.AsEnumerable().Reverse()));

        Assert.Equal(alone, inThrees);
        Assert.Equal(alone, reversedInFives);
        Assert.True(alone.Values.Select(a => a.Tokens).Distinct().Count() > 1, "the seeds should give different answers");
    }

    [Theory]
    [InlineData(KvCacheHome.Host)]
    [InlineData(KvCacheHome.Provider)]
    public async Task AnFp16Cache_BatchesLikeFp32(KvCacheHome home)
    {
        using var fp16 = new TestDataFolder();
        SyntheticModels.WriteSmolVlmFolder(fp16.Path, Size with { Float16Cache = true }, seed: 3);
        using var generator = OnnxGenerator.Open(fp16.Path, cacheHome: home);
        Assert.Equal(TensorElementType.Float16, generator.KvType);
        var requests = Requests(6, seed => new SamplingSettings(MaxNewTokens: 4 + (int)seed * 2, Seed: seed));

        var batch = new BatchGenerator(generator, 4);
        Assert.Equal(await AloneAsync(generator, requests), await ByTagAsync(batch.RunAsync(requests)));
        Assert.True(batch.Statistics.InPlaceRefills + batch.Statistics.Rebuilds > 0, "no rows moved");
    }

    [Fact]
    public async Task OneSequenceCanBeCancelled_AndTheBatchGoesOn_WhileCancellingTheBatchStopsIt()
    {
        WithoutEos();
        using var generator = OnnxGenerator.Open(_folder.Path);
        using var longOne = new CancellationTokenSource();
        var requests = Requests(3, seed => new SamplingSettings(MaxNewTokens: seed == 0 ? 4 : 40, Seed: seed));
        requests[1] = requests[1] with { Cancel = longOne.Token };

        var results = new List<GenerationResult>();
        await foreach (var result in new BatchGenerator(generator, 3).RunAsync(requests))
        {
            results.Add(result);
            longOne.Cancel(); // when the short one ends
        }

        var alone = await AloneAsync(generator, requests);
        var cancelled = results.Single(r => r.Request.Tag is 1);
        Assert.Equal(StopReason.Cancelled, cancelled.Stop);
        Assert.InRange(cancelled.Tokens.Count, 4, 6);
        Assert.StartsWith(string.Join(',', cancelled.Tokens), alone[1].Tokens);
        Assert.Equal(alone[2], (string.Join(',', results.Single(r => r.Request.Tag is 2).Tokens), StopReason.MaxTokens));

        // Cancelled while it waited for a row: never prefilled, reported with no tokens.
        var waiting = await ByTagAsync(new BatchGenerator(generator, 1).RunAsync([requests[0], requests[2] with { Cancel = new CancellationToken(canceled: true) }]));
        Assert.Equal(("", StopReason.Cancelled), waiting[2]);

        using var all = new CancellationTokenSource();
        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in new BatchGenerator(generator, 2).RunAsync(Requests(4, seed => new SamplingSettings(MaxNewTokens: 3 + 30 * (int)seed, Seed: seed)), all.Token))
                if (++received == 1) all.Cancel();
        });
        Assert.Equal(1, received);
    }

    [Fact]
    public void TheBatchSize_IsTheConfiguredOne_ElseWhatAQuarterOfFreeMemoryHolds_CappedPerProvider()
    {
        var manifest = SmolVlmManifest();
        // fp32 SmolVLM-256M: 46 KB of cache per token over 420 tokens, plus 254 prompt rows of 49,152 logits: about 69 MB a sequence.
        var perSequence = 2L * 30 * 3 * 64 * 4 * (256 + 64 + 100) + 4L * 49152 * (256 + 64);
        Assert.Equal(1, BatchSizing.Auto(manifest, 4, "CPU", logitsForLastTokenOnly: false, availableBytes: 4 * perSequence - 1));
        Assert.Equal(3, BatchSizing.Auto(manifest, 4, "CPU", logitsForLastTokenOnly: false, availableBytes: 4 * 3 * perSequence));
        Assert.Equal(BatchSizing.CpuCap, BatchSizing.Auto(manifest, 4, "CPU", false, availableBytes: 1L << 40));
        Assert.Equal(BatchSizing.GpuCap, BatchSizing.Auto(manifest, 2, "CUDA", true, availableBytes: 1L << 40));
        // The cache in GPU memory: the GPU's free memory bounds the cache, the host's the logits.
        var cachePerSequence = 2L * 30 * 3 * 64 * 2 * (256 + 64 + 100);
        Assert.Equal(5, BatchSizing.Auto(manifest, 2, "CUDA", true, availableBytes: 1L << 40, deviceBytes: 4 * 5 * cachePerSequence + 1));
        Assert.Equal(2, BatchSizing.Auto(manifest, 2, "CUDA", false, availableBytes: 4 * 2 * 4L * 49152 * (256 + 64), deviceBytes: 1L << 40));
        using var generator = OnnxGenerator.Open(_folder.Path);
        Assert.Equal(5, BatchSizing.Resolve(5, generator));
    }

    private static ModelManifest SmolVlmManifest() => new()
    {
        Name = "smolvlm-256m", DecoderFile = "onnx/decoder_model_merged.onnx", Layers = 30, KvHeads = 3, HeadSize = 64, Hidden = 576, Vocab = 49152,
        ImageTokens = 64, Search = new SearchDefaults(MaxNewTokens: 100),
    };

    // Prompts of different lengths, every other one with an image: [bos, text..., image tokens, text...].
    private static List<GenerationRequest> Requests(int count, Func<long, SamplingSettings> settings)
    {
        var random = new Random(11);
        return Enumerable.Range(0, count).Select(i =>
        {
            var withImage = i % 2 == 0;
            var text = Enumerable.Range(0, 2 + i * 3 % 9).Select(_ => (long)random.Next(2, 38)).ToArray();
            long[] prompt = [1, .. text[..1], .. withImage ? Enumerable.Repeat((long)Size.ImageTokenId, Size.ImageTokens) : [], .. text[1..]];
            var pixels = withImage ? Enumerable.Range(0, 3 * Size.ImageSize * Size.ImageSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray() : null;
            return new GenerationRequest(prompt, settings(i), pixels, withImage ? 1 : 0, Tag: i);
        }).ToList();
    }

    private static async Task<Dictionary<int, (string Tokens, StopReason Stop)>> AloneAsync(OnnxGenerator generator, IEnumerable<GenerationRequest> requests)
    {
        var results = new Dictionary<int, (string, StopReason)>();
        foreach (var request in requests)
        {
            var features = request.Pixels is null ? null : generator.EncodeImages(request.Pixels, 1);
            var tokens = new List<GeneratedToken>();
            await foreach (var token in generator.GenerateAsync(request.PromptIds, features, request.Settings)) tokens.Add(token);
            results[(int)request.Tag!] = (string.Join(',', tokens.Select(t => t.Id)), tokens.Count > 0 && tokens[^1].IsEos ? StopReason.Eos : StopReason.MaxTokens);
        }
        return results;
    }

    private static async Task<Dictionary<int, (string Tokens, StopReason Stop)>> ByTagAsync(IAsyncEnumerable<GenerationResult> results)
    {
        var byTag = new Dictionary<int, (string, StopReason)>();
        await foreach (var result in results) byTag.Add((int)result.Request.Tag!, (string.Join(',', result.Tokens), result.Stop));
        return byTag;
    }

    // The random model rarely emits its own eos; make a token it often emits the eos, so some sequences stop early.
    private void StopAtAFrequentToken()
    {
        WithoutEos();
        using var generator = OnnxGenerator.Open(_folder.Path);
        var counts = new Dictionary<int, int>();
        foreach (var request in Requests(10, seed => new SamplingSettings(MaxNewTokens: 12)))
        {
            var features = request.Pixels is null ? null : generator.EncodeImages(request.Pixels, 1);
            foreach (var token in generator.GenerateAsync(request.PromptIds, features, request.Settings).ToBlockingEnumerable().Skip(1))
                counts[token.Id] = counts.GetValueOrDefault(token.Id) + 1;
        }
        WriteManifest(ModelManifest.Load(_folder.Path) with { EosTokenIds = [counts.MaxBy(c => c.Value).Key] });
    }

    private void WithoutEos() => WriteManifest(ModelManifest.Load(_folder.Path) with { EosTokenIds = [] });

    private void WriteManifest(ModelManifest manifest) =>
        File.WriteAllText(_folder.File(ModelManifest.FileName), JsonSerializer.Serialize(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

    private float[] Embeds(long[] ids)
    {
        using var generator = OnnxGenerator.Open(_folder.Path);
        return generator.Embed(ids);
    }

    private static float[] LastLogits(InferenceSession decoder, float[] embeds, long[] mask, long[] positions)
    {
        var length = mask.Length;
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("inputs_embeds", new DenseTensor<float>(embeds, [1, length, Size.Hidden])),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, [1, length])),
            NamedOnnxValue.CreateFromTensor("position_ids", new DenseTensor<long>(positions, [1, length])),
        };
        for (var l = 0; l < Size.Layers; l++)
            foreach (var part in new[] { "key", "value" })
                inputs.Add(NamedOnnxValue.CreateFromTensor($"past_key_values.{l}.{part}", new DenseTensor<float>([1, Size.KvHeads, 0, Size.HeadSize])));
        using var outputs = decoder.Run(inputs, ["logits"]);
        return outputs[0].AsTensor<float>().ToArray()[^Size.Vocab..];
    }

    private sealed class Tolerance(float epsilon) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= epsilon * Math.Max(1, Math.Abs(x));

        public int GetHashCode(float value) => 0;
    }
}
