using System.Text.Json;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Triage;

/// <summary>A BPO file with one record per kind of trouble, imported for real (so the checks run as pairs are created).</summary>
public sealed class TriageDataset
{
    public const string Name = "triage";

    private TriageDataset(int id, IReadOnlyDictionary<string, long> pairByRecord)
    {
        Id = id;
        PairByRecord = pairByRecord;
    }

    public int Id { get; }

    /// <summary>The first pair of each record, by record id.</summary>
    public IReadOnlyDictionary<string, long> PairByRecord { get; }

    public static readonly string[] CleanRecords = ["clean-1", "clean-2", "clean-3", "clean-4"];

    public static Task<TriageDataset> ImportAsync(CoreServices core) => ImportAsync(core.Services, core.DataDirectory, Name);

    public static async Task<TriageDataset> ImportAsync(IServiceProvider services, string dataDirectory, string name)
    {
        var folder = Path.Combine(dataDirectory, "source-" + name);
        Directory.CreateDirectory(Path.Combine(folder, "img"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "img", "a.png"), DemoScene.Generate(5).RenderPng());
        await File.WriteAllBytesAsync(Path.Combine(folder, "img", "b.png"), DemoScene.Generate(6).RenderPng());
        var path = Path.Combine(folder, "triage.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            Record("clean-1", "img/a.png", "What is above the square?", "A red circle is above the blue square.", "A green circle is above the blue square."),
            Record("clean-2", "img/a.png", "What colour is the circle?", "The circle is red and sits near the top.", "The circle is yellow and sits near the top."),
            Record("clean-3", "img/b.png", "How many shapes are there?", "There are three shapes in the picture.", "There are five shapes in the picture."),
            Record("clean-4", "img/b.png", "Where is the star?", "The star is in the lower left corner.", "The star is in the upper right corner."),
            Record("identical", "img/a.png", "Describe the scene.", "Two cats sleep on a sofa.", "two cats sleep on a sofa."),
            Record("placeholder", "img/a.png", "What runs?", "A dog runs across the yard.", "<image> A cat runs across the yard."),
            Record("missing", "img/missing.png", "What is it?", "A red triangle on a white page.", "A blue triangle on a white page."),
            Record("dup-1", "img/b.png", "What is left?", "A green square is on the left.", "A purple square is on the left."),
            Record("refusal", "img/b.png", "What is right?", "A yellow star is on the right side.", "I'm sorry, but I cannot see the image."),
        ]);
        var summary = await services.GetRequiredService<DatasetImporter>().ImportAsync(new ImportRequest(path, name, folder));
        if (summary.Imported != 9) throw new InvalidOperationException($"The triage file imported {summary.Imported} records.");
        await using var db = await services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var id = await db.Datasets.Where(d => d.Name == name).Select(d => d.Id).SingleAsync();
        await CopyRecordAsync(services, db, id, "dup-1", "dup-2");
        var pairs = await db.Pairs.Where(p => p.DatasetId == id).OrderBy(p => p.Id).Select(p => new { p.Id, p.Sample!.Source.RecordId }).ToListAsync();
        return new TriageDataset(id, pairs.GroupBy(p => p.RecordId!).ToDictionary(g => g.Key, g => g.First().Id));
    }

    /// <summary>
    /// A second copy of a record, as a dataset imported before the importer caught content duplicates holds it (the
    /// importer now refuses it): the pair checks must still flag the later copy.
    /// </summary>
    internal static async Task CopyRecordAsync(IServiceProvider services, BpoDbContext db, int datasetId, string from, string to)
    {
        var original = await db.Samples.AsNoTracking().Include(s => s.Responses).SingleAsync(s => s.DatasetId == datasetId && s.Source.RecordId == from);
        var copy = new Sample
        {
            DatasetId = datasetId, ImageHash = original.ImageHash, Prompt = original.Prompt, CreatedAt = DateTime.UtcNow,
            Source = new SourceProvenance { File = original.Source.File, RecordId = to, ImagePath = original.Source.ImagePath, OriginalPrompt = original.Source.OriginalPrompt },
        };
        foreach (var r in original.Responses)
            copy.Responses.Add(new Response { Text = r.Text, Kind = r.Kind, Score = r.Score, CreatedAt = DateTime.UtcNow, Provenance = new GeneratorProvenance { Method = r.Provenance.Method } });
        await using var tx = await db.Database.BeginTransactionAsync();
        db.Samples.Add(copy);
        await db.SaveChangesAsync();
        db.Pairs.AddRange(PairBuilder.Build(datasetId, copy.Id, copy.Responses.ToList()));
        await db.SaveChangesAsync();
        await services.GetRequiredService<IPairRecheck>().RecheckSamplesAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), datasetId, copy.Id, copy.Id, default);
        await tx.CommitAsync();
    }

    private static string Record(string id, string image, string prompt, string chosen, string rejected) =>
        JsonSerializer.Serialize(new
        {
            id, image, prompt = "<image>\n" + prompt,
            completions = new object[] { new { score = 1, response = chosen, type = "gt" }, new { score = 0, response = rejected, type = "llm-hal" } },
        });
}

/// <summary>A test class over a fresh database (SQLite unless a subclass says PostgreSQL) holding the imported triage dataset.</summary>
public abstract class TriageDatasetTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    protected CoreServices Core { get; private set; } = null!;
    protected TriageDataset Data { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Core = await CoreServices.StartAsync(provider: Provider);
        Data = await TriageDataset.ImportAsync(Core);
    }

    public async Task DisposeAsync() => await Core.DisposeAsync();

    protected Task<BpoDbContext> NewDbAsync() => Core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
}
