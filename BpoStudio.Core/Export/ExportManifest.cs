using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BpoStudio.Core.Datasets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BpoStudio.Core.Export;

public sealed record ManifestFile(string Path, long Bytes, string Sha256);

public sealed record SkippedRecord(long PairId, long SampleId, string Reason);

public sealed record ManifestVersion(int Number, string ContentHash, string ApprovedBy, DateTime ApprovedAt);

public sealed class ExportCounts
{
    public long Samples { get; set; }
    public long Pairs { get; set; }
    public Dictionary<string, long> PairsBySplit { get; } = [];
    public Dictionary<string, long> ByRejectedKind { get; } = [];
    public Dictionary<string, long> ByRejectedMethod { get; } = [];
    public long EditedTexts { get; set; }
    public long Images { get; set; }
    public long Skipped { get; set; }

    /// <summary>Pairs of later turns written with the conversation before them as their context.</summary>
    public long PairsWithHistory { get; set; }

    /// <summary>Pairs of later turns written with their own question only: the format holds one question (BPO), or context was off.</summary>
    public long PairsWithoutTheirHistory { get; set; }

    /// <summary>BPO only: answers longer than the 350 words after which BPO's loader (default <c>filter_size</c>) drops the whole record.</summary>
    public long AnswersOverBpoWordLimit { get; set; }

    /// <summary>
    /// Samples whose images could not stay where the source put them (a format without places for them between texts, or
    /// a later turn's image in a record of an earlier turn), and which ones, by source record (the first 1,000).
    /// </summary>
    public long SamplesWithImagesMoved { get; set; }
    public List<string> ImagesMovedIn { get; init; } = [];

    /// <summary>S-VCO and mDPO: pairs written whose texts may first differ past the trainer's length limit, by the token counts' bounds (those certain to are left out).</summary>
    public long PairsPossiblyCutAlike { get; set; }

    /// <summary>The length limit those were judged by (the trainer's model_max_length), where the format's trainer truncates.</summary>
    public int? MaxLength { get; set; }

    /// <summary>
    /// The export carries a weight per pair (<c>--weights</c>, <c>--judge-weights</c>), how many weigh more than 1 (their
    /// rejected answers have confirmed error spans) and how many less (the judge doubts a pair no person decided).
    /// </summary>
    public bool Weights { get; set; }
    public long PairsWeightedAboveOne { get; set; }
    public long PairsWeightedBelowOne { get; set; }

    /// <summary>The scorer whose scores the export carries (<c>--scores</c>), and how many of the written pairs it scored.</summary>
    public string? Scorer { get; set; }
    public long PairsScored { get; set; }

    /// <summary>How the exported pairs were decided: by people, by a lead's bulk action, or by accepting a spot-checked stratum.</summary>
    public DecisionCounts DecidedBy { get; init; } = new();

    public void Add(string split, IReadOnlyList<ExportPair> pairs)
    {
        Pairs += pairs.Count;
        CollectionsMarshal.GetValueRefOrAddDefault(PairsBySplit, split, out _) += pairs.Count;
        for (var i = 0; i < pairs.Count; i++)
        {
            var rejected = pairs[i].Rejected;
            CollectionsMarshal.GetValueRefOrAddDefault(ByRejectedKind, rejected.Kind.ToWire(), out _)++;
            CollectionsMarshal.GetValueRefOrAddDefault(ByRejectedMethod, rejected.Method ?? "unknown", out _)++;
            if (pairs[i].Chosen.Edited || rejected.Edited) EditedTexts++;
            if (pairs[i].Weight is { } weight)
            {
                Weights = true;
                if (weight > 1) PairsWeightedAboveOne++;
                else if (weight < 1) PairsWeightedBelowOne++;
            }
            if (pairs[i].Score is not null) PairsScored++;
            DecidedBy.Add(pairs[i].Source);
        }
    }

    public const int MaxImagesMovedListed = 1_000;

    public void AddImagesMoved(ExportSample sample)
    {
        SamplesWithImagesMoved++;
        if (ImagesMovedIn.Count < MaxImagesMovedListed)
            ImagesMovedIn.Add(sample.IdGenerated || sample.RecordId is null ? $"sample {sample.SampleId}" : sample.Turn is > 0 ? $"{sample.RecordId} turn {sample.Turn + 1}" : sample.RecordId);
    }

    public void AddTurns(ExportSample sample, int pairs, bool formatHoldsHistory)
    {
        if (sample.Earlier.Count == 0 && sample.Turn is not > 0) return;
        if (formatHoldsHistory && sample.Earlier.Count > 0) PairsWithHistory += pairs;
        else PairsWithoutTheirHistory += pairs;
    }

    /// <summary>Counts a left-out record; lists it while the manifest's list has room.</summary>
    public void Skip(List<SkippedRecord> listed, SkippedRecord record)
    {
        Skipped++;
        if (listed.Count < ExportManifest.MaxSkippedListed) listed.Add(record);
    }

    /// <summary>Adds what a later chunk counted (images are counted once, at the end).</summary>
    public void Merge(ExportCounts chunk, List<SkippedRecord> listed, List<SkippedRecord> chunkListed)
    {
        Samples += chunk.Samples;
        Pairs += chunk.Pairs;
        EditedTexts += chunk.EditedTexts;
        Skipped += chunk.Skipped;
        PairsWithHistory += chunk.PairsWithHistory;
        PairsWithoutTheirHistory += chunk.PairsWithoutTheirHistory;
        AnswersOverBpoWordLimit += chunk.AnswersOverBpoWordLimit;
        PairsPossiblyCutAlike += chunk.PairsPossiblyCutAlike;
        SamplesWithImagesMoved += chunk.SamplesWithImagesMoved;
        ImagesMovedIn.AddRange(chunk.ImagesMovedIn.Take(MaxImagesMovedListed - ImagesMovedIn.Count));
        MaxLength ??= chunk.MaxLength;
        Weights |= chunk.Weights;
        PairsWeightedAboveOne += chunk.PairsWeightedAboveOne;
        PairsWeightedBelowOne += chunk.PairsWeightedBelowOne;
        PairsScored += chunk.PairsScored;
        DecidedBy.Add(chunk.DecidedBy);
        AddAll(PairsBySplit, chunk.PairsBySplit);
        AddAll(ByRejectedKind, chunk.ByRejectedKind);
        AddAll(ByRejectedMethod, chunk.ByRejectedMethod);
        listed.AddRange(chunkListed.Take(ExportManifest.MaxSkippedListed - listed.Count));
    }

    private static void AddAll(Dictionary<string, long> into, Dictionary<string, long> from)
    {
        foreach (var (key, value) in from) CollectionsMarshal.GetValueRefOrAddDefault(into, key, out _) += value;
    }
}

public sealed class DecisionCounts
{
    public long People { get; set; }
    public long Bulk { get; set; }
    public long SampledStratum { get; set; }

    /// <summary>By a judge score threshold calibrated on a blind spot check (the bulk action's notes hold the estimate).</summary>
    public long Threshold { get; set; }

    public void Add(DecisionSource source)
    {
        if (source == DecisionSource.Person) People++;
        else if (source == DecisionSource.Bulk) Bulk++;
        else if (source == DecisionSource.Threshold) Threshold++;
        else SampledStratum++;
    }

    public void Add(DecisionCounts other) =>
        (People, Bulk, SampledStratum, Threshold) = (People + other.People, Bulk + other.Bulk, SampledStratum + other.SampledStratum, Threshold + other.Threshold);
}

/// <summary>What an export holds and how it was made; written last, so a folder without it is not a finished export.</summary>
public sealed class ExportManifest
{
    public const string FileName = "manifest.json";
    public const int MaxSkippedListed = 10_000;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public required string Format { get; init; }
    public required string FormatTitle { get; init; }
    public required string Dataset { get; init; }
    public bool Draft { get; init; }
    public ManifestVersion? Version { get; init; }
    public required ExportOptions Options { get; init; }
    public required string AppVersion { get; init; }
    public DateTime CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public ExportCounts Counts { get; init; } = new();
    public List<SkippedRecord> Skipped { get; init; } = [];
    public bool SkippedListTruncated { get; set; }
    public List<ManifestFile> Files { get; init; } = [];

    /// <summary>What the export did not do as asked, such as a validation share too small to hold one sample.</summary>
    public List<string> Warnings { get; init; } = [];
    public required string HowToLoad { get; init; }

    public static async Task<ManifestFile> DescribeAsync(string folder, string path, CancellationToken ct)
    {
        var full = System.IO.Path.Combine(folder, path);
        await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, ct);
        return new ManifestFile(path.Replace('\\', '/'), stream.Length, Convert.ToHexStringLower(hash));
    }
}
