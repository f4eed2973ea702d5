using System.Text.Json;
using BpoStudio.Core.Approval;
using BpoStudio.Core.Dashboard;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Export;
using BpoStudio.Core.Feedback;
using BpoStudio.Core.Review;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Parquet.Serialization;

namespace BpoStudio.Tests.Feedback;

public class ErrorSpanTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly TestDataFolder _out = new();
    private CoreServices _core = null!;
    private int _datasetId;

    public async Task InitializeAsync()
    {
        _core = await CoreServices.StartAsync(provider: Provider);
        _datasetId = await _core.SeedDemoAsync();
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _out.Dispose();
    }

    private ErrorSpanService Spans => _core.Get<ErrorSpanService>();

    [Fact]
    public async Task TheInjectorsChangedSpans_AreSuggested_ThenConfirmedOrDismissed_AndNotOfferedAgain()
    {
        var pair = await InjectedPairAsync();
        var sheet = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        Assert.NotEmpty(sheet.Suggestions);
        Assert.All(sheet.Suggestions, s =>
        {
            Assert.Equal(SpanOrigin.Injection, s.Origin);
            Assert.Equal(sheet.Text.Substring(s.Start, s.Length), s.Text);
            Assert.StartsWith("injected: '", s.Why);
        });
        var first = sheet.Suggestions[0];

        sheet = await Spans.ConfirmAsync(pair.Id, sheet.ResponseId, first, first.Type, ErrorSeverity.Critical, TestPrincipals.Annotator);
        var confirmed = Assert.Single(sheet.Spans);
        Assert.Equal((first.Start, first.Length, first.Text, ErrorSeverity.Critical, SpanOrigin.Injection, SpanStatus.Confirmed),
            (confirmed.Start, confirmed.Length, confirmed.Text, confirmed.Severity, confirmed.Origin, confirmed.Status));
        Assert.DoesNotContain(sheet.Suggestions, s => s.Start == first.Start);
        foreach (var rest in sheet.Suggestions) sheet = await Spans.DismissAsync(pair.Id, sheet.ResponseId, rest, TestPrincipals.Annotator);
        Assert.Empty(sheet.Suggestions);
        Assert.Single(sheet.Spans); // a dismissed suggestion is remembered, not shown as a span
        Assert.Empty((await Spans.SheetAsync(pair.Id, TestPrincipals.Lead)).Suggestions);
    }

    [Fact]
    public async Task Marking_ChecksTheCaller_TheOffsets_AndOverlaps_NamingWhatIsWrong()
    {
        var pair = await InjectedPairAsync();
        var seen = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        var (rejectedId, text) = (seen.ResponseId, seen.Text);
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => Spans.MarkAsync(pair.Id, rejectedId, 0, 3, ErrorType.Object, ErrorSeverity.Major, TestPrincipals.Of("nobody", "Viewer")));
        Assert.Contains($"lie outside the answer, which has {text.Length}", (await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Spans.MarkAsync(pair.Id, rejectedId, text.Length - 2, 5, ErrorType.Object, ErrorSeverity.Major, TestPrincipals.Annotator))).Message);
        Assert.Contains("at least one character", (await Assert.ThrowsAnyAsync<ArgumentException>(() => Spans.MarkAsync(pair.Id, rejectedId, 0, 0, ErrorType.Object, ErrorSeverity.Major, TestPrincipals.Annotator))).Message);
        var space = text.IndexOf(' ');
        Assert.Contains("Only spaces", (await Assert.ThrowsAnyAsync<ArgumentException>(() => Spans.MarkAsync(pair.Id, rejectedId, space, 1, ErrorType.Other, ErrorSeverity.Minor, TestPrincipals.Annotator))).Message);

        var sheet = await Spans.MarkAsync(pair.Id, rejectedId, 0, space, ErrorType.Object, ErrorSeverity.Major, TestPrincipals.Annotator);
        Assert.Equal(text[..space], Assert.Single(sheet.Spans).Text);
        Assert.Contains($"overlaps the span already marked on '{text[..space]}'", (await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Spans.MarkAsync(pair.Id, rejectedId, 1, space + 2, ErrorType.Count, ErrorSeverity.Minor, TestPrincipals.Lead))).Message);
        await Assert.ThrowsAnyAsync<KeyNotFoundException>(() => Spans.SheetAsync(999_999, TestPrincipals.Annotator));

        // A page still showing the text before someone else's edit: its offsets are refused, not put on the new text.
        await _core.Get<ReviewService>().EditAsync(pair.Id, pair.RowVersion, TestPrincipals.Lead, PairSide.Rejected, "Someone else's wording of it.");
        Assert.Contains("rejected answer changed since it was loaded", (await Assert.ThrowsAsync<ReviewRefusedException>(() =>
            Spans.MarkAsync(pair.Id, rejectedId, 0, space, ErrorType.Object, ErrorSeverity.Major, TestPrincipals.Annotator))).Message);
        var fresh = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        Assert.Contains("Nothing is suggested on 'made up'", (await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Spans.DismissAsync(pair.Id, fresh.ResponseId, new SuggestedSpan(0, 7, "made up", ErrorType.Other, ErrorSeverity.Minor, SpanOrigin.Edit, "invented"), TestPrincipals.Annotator))).Message);
    }

    [Fact]
    public async Task SpansSurviveEdits_MovedWithTheirWords_OrStaleWhereTheEditTouchedThem_AndTheEditsWordsAreSuggested()
    {
        var pair = await InjectedPairAsync();
        var reviews = _core.Get<ReviewService>();
        var view = await reviews.EditAsync(pair.Id, pair.RowVersion, TestPrincipals.Annotator, PairSide.Rejected, "A red bus waits on the left side.");
        var beforeEdit = await Spans.MarkAsync(pair.Id, view.Rejected.Id, 2, 3, ErrorType.Attribute, ErrorSeverity.Major, TestPrincipals.Annotator); // "red"
        await Spans.MarkAsync(pair.Id, view.Rejected.Id, 23, 4, ErrorType.Position, ErrorSeverity.Critical, TestPrincipals.Annotator); // "left"

        view = await reviews.EditAsync(pair.Id, view.RowVersion, TestPrincipals.Annotator, PairSide.Rejected, "Today a red bus waits on the right side.");
        var sheet = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        Assert.Equal(view.Rejected.Id, sheet.ResponseId);
        var red = sheet.Spans.Single(s => s.Type == ErrorType.Attribute);
        Assert.Equal((8, 3, "red", SpanStatus.Confirmed), (red.Start, red.Length, red.Text, red.Status));
        Assert.NotNull(red.CarriedFromId);
        var position = sheet.Spans.Single(s => s.Type == ErrorType.Position);
        Assert.Equal(SpanStatus.Stale, position.Status);
        Assert.Equal(ErrorSeverity.Critical, position.Severity);
        // A page still showing the text before the edit cannot change or remove its spans: they were carried.
        var oldRed = beforeEdit.Spans.Single().Id;
        Assert.Contains("edited", (await Assert.ThrowsAsync<ReviewRefusedException>(() => Spans.ChangeAsync(oldRed, ErrorType.Other, ErrorSeverity.Minor, TestPrincipals.Annotator))).Message);
        await Assert.ThrowsAsync<ReviewRefusedException>(() => Spans.RemoveAsync(oldRed, TestPrincipals.Annotator));
        // The edit wrote "Today a" and "right": both offered, "right" only once the stale span no longer covers it.
        Assert.Contains(sheet.Suggestions, s => s is { Origin: SpanOrigin.Edit, Text: "Today a" });

        sheet = await Spans.RemoveAsync(position.Id, TestPrincipals.Annotator);
        Assert.DoesNotContain(sheet.Spans, s => s.Id == position.Id);
        Assert.Contains(sheet.Suggestions, s => s is { Origin: SpanOrigin.Edit, Text: "right" });
        var right = sheet.Suggestions.Single(s => s.Text == "right");
        sheet = await Spans.ConfirmAsync(pair.Id, sheet.ResponseId, right, ErrorType.Position, ErrorSeverity.Major, TestPrincipals.Annotator);
        Assert.Equal(2, sheet.Spans.Count(s => s.Status == SpanStatus.Confirmed));

        var history = await _core.Get<LeadAudit>().HistoryAsync(pair.Id, TestPrincipals.Lead);
        Assert.Equal(["EditRejected", "marked error", "marked error", "EditRejected", "error carried stale by an edit", "removed error", "marked error"],
            history.Select(h => h.Action));
        Assert.Equal("'red' · attribute · major", history[1].Comment);
    }

    [Fact]
    public async Task PairWeights_FollowTheSeverities_TheLeadsWeights_AndAreFrozenIntoAVersion()
    {
        var pair = await InjectedPairAsync();
        var seen = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        var (rejectedId, text) = (seen.ResponseId, seen.Text);
        var second = text.IndexOf(' ') + 1;
        await Spans.MarkAsync(pair.Id, rejectedId, 0, second - 1, ErrorType.Object, ErrorSeverity.Critical, TestPrincipals.Annotator);
        await Spans.MarkAsync(pair.Id, rejectedId, second, text.IndexOf(' ', second) - second, ErrorType.Count, ErrorSeverity.Minor, TestPrincipals.Annotator);
        await AcceptSampleAsync(pair.SampleId);

        var weights = _core.Get<PairWeights>();
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => weights.SetAsync(_datasetId, new SeverityWeights(1, 2, 3), TestPrincipals.Annotator));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(() => weights.GetAsync(_datasetId, TestPrincipals.Of("guest", "Viewer")));
        Assert.Equal(SeverityWeights.Default, await weights.GetAsync(_datasetId, TestPrincipals.Annotator));
        Assert.Contains("between 0 and 100", (await Assert.ThrowsAnyAsync<ArgumentException>(() => weights.SetAsync(_datasetId, new SeverityWeights(-1, 2, 3), TestPrincipals.Lead))).Message);
        Assert.Equal(1 + 2 + 0.5, await WeightInTrlAsync(pair.Id, version: null)); // the defaults: critical 2, minor 0.5

        await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        await weights.SetAsync(_datasetId, new SeverityWeights(Minor: 1, Major: 2, Critical: 4), TestPrincipals.Lead);
        Assert.Equal(1 + 4 + 1, await WeightInTrlAsync(pair.Id, version: null)); // a draft reads the weights as they are now
        Assert.Equal(3.5, await WeightInTrlAsync(pair.Id, version: 1)); // the version keeps the weights it was approved with

        var runner = _core.Get<ExportRunner>();
        var parquet = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, 1, ExportFormat.Parquet, Weights: true), "lead"), Path.Combine(_out.Path, "parquet"));
        var rows = (await ParquetSerializer.DeserializeAsync<WeightedParquetPairRow>(Path.Combine(parquet.Folder, "data", "train-00000-of-00001.parquet"))).Data;
        Assert.Equal(3.5, rows.Single(r => r.PairId == pair.Id).Weight);
        Assert.All(rows.Where(r => r.PairId != pair.Id), r => Assert.Equal(1, r.Weight));
        Assert.Equal(1, parquet.Manifest.Counts.PairsWeightedAboveOne);
        Assert.Contains("  - name: weight\n    dtype: float64\n", await File.ReadAllTextAsync(Path.Combine(parquet.Folder, "README.md")));
        Assert.Contains("llama-factory has no column for pair weights; use one of trl, parquet",
            Assert.ThrowsAny<ArgumentException>(() => new ExportOptions(_datasetId, 1, ExportFormat.LlamaFactory, Weights: true).Validate()).Message);
    }

    [Fact]
    public async Task RlhfV_HasRlaifVsColumnsAndRlhfVsText_WithTheCorrectedSegmentsAndTheErrorSpans()
    {
        var pair = await InjectedPairAsync();
        var sheet = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        var suggestion = sheet.Suggestions[0];
        await Spans.ConfirmAsync(pair.Id, sheet.ResponseId, suggestion, suggestion.Type, ErrorSeverity.Critical, TestPrincipals.Annotator);
        await AcceptSampleAsync(pair.SampleId);

        var runner = _core.Get<ExportRunner>();
        var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, null, ExportFormat.RlhfV), "lead"), Path.Combine(_out.Path, "rlhf-v"));
        var rows = Export.TrainerLoaderChecks.RlhfV(result.Folder);
        Assert.Equal(result.Manifest.Counts.Pairs, rows.Count);
        var row = rows.Single(r => r.Idx == pair.Id);
        var (chosen, rejected) = await TextsAsync(pair.Id);
        Assert.Equal((chosen, rejected, """{"split":"train"}"""), (row.Chosen, row.Rejected, row.OriginSplit));
        using var spans = JsonDocument.Parse(row.ErrorSpans);
        var span = Assert.Single(spans.RootElement.EnumerateArray());
        Assert.Equal((suggestion.Text, "critical"), (span.GetProperty("text").GetString(), span.GetProperty("severity").GetString()));
        // The chosen answer's words the negative changed: the injector swapped words, so the originals are corrected segments.
        Assert.NotEmpty(JsonDocument.Parse(row.CorrectedSegments).RootElement.EnumerateArray());
        Assert.False(Directory.Exists(Path.Combine(result.Folder, "data"))); // RLAIF-V looks only at the top of its folder
    }

    [Fact]
    public async Task AVersionsRlhfVExport_KeepsTheSpansItWasApprovedWith()
    {
        var pair = await InjectedPairAsync();
        var sheet = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        var suggestion = sheet.Suggestions[0];
        var confirmed = await Spans.ConfirmAsync(pair.Id, sheet.ResponseId, suggestion, suggestion.Type, ErrorSeverity.Critical, TestPrincipals.Annotator);
        await AcceptSampleAsync(pair.SampleId);
        await _core.Get<ApprovalService>().ApproveAsync(_datasetId, TestPrincipals.Lead, null);

        // After approval the span is made minor, then removed, and another word is marked.
        var span = confirmed.Spans.Single(s => s.Status == SpanStatus.Confirmed);
        await Spans.ChangeAsync(span.Id, ErrorType.Other, ErrorSeverity.Minor, TestPrincipals.Annotator);
        await Spans.RemoveAsync(span.Id, TestPrincipals.Annotator);
        var text = confirmed.Text;
        var other = text.LastIndexOf(' ') + 1;
        if (span.Overlaps(other, text.Length - other)) other = 0;
        await Spans.MarkAsync(pair.Id, sheet.ResponseId, other, 1, ErrorType.Count, ErrorSeverity.Major, TestPrincipals.Annotator);

        async Task<List<(string? Text, string? Type, string? Severity)>> SpansInAsync(int? version)
        {
            var runner = _core.Get<ExportRunner>();
            var result = await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, version, ExportFormat.RlhfV), "lead"), Path.Combine(_out.Path, $"rlhf-v-{version}-{Guid.NewGuid():N}"));
            using var spans = JsonDocument.Parse(Export.TrainerLoaderChecks.RlhfV(result.Folder).Single(r => r.Idx == pair.Id).ErrorSpans);
            return [.. spans.RootElement.EnumerateArray().Select(e => (e.GetProperty("text").GetString(), e.GetProperty("type").GetString(), e.GetProperty("severity").GetString()))];
        }
        Assert.Equal([(suggestion.Text, suggestion.Type.ToString().ToLowerInvariant(), "critical")], await SpansInAsync(version: 1));
        Assert.Equal([(text.Substring(other, 1), "count", "major")], await SpansInAsync(version: null));

        // The same pairs with other spans are a new version, which says so; the same pairs and spans again are not.
        var approvals = _core.Get<ApprovalService>();
        var second = await approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null);
        Assert.StartsWith("Same pairs as version 1; their error spans or weights changed.", second.Notes);
        Assert.Equal([(text.Substring(other, 1), "count", "major")], await SpansInAsync(version: 2));
        Assert.Contains("Nothing changed since version 2", (await Assert.ThrowsAnyAsync<InvalidOperationException>(() => approvals.ApproveAsync(_datasetId, TestPrincipals.Lead, null))).Message);
    }

    [Fact]
    public async Task TheDashboard_CountsConfirmedErrorsOnCurrentAnswers_ByTypeAndMethod()
    {
        var pair = await InjectedPairAsync();
        var sheet = await Spans.SheetAsync(pair.Id, TestPrincipals.Annotator);
        var suggestion = sheet.Suggestions[0];
        await Spans.ConfirmAsync(pair.Id, sheet.ResponseId, suggestion, suggestion.Type, ErrorSeverity.Major, TestPrincipals.Annotator);
        var dashboard = await _core.Get<DashboardQueries>().LoadAsync(_datasetId, TestPrincipals.Lead);
        var row = Assert.Single(dashboard.Errors!);
        Assert.Equal((suggestion.Type.ToString().ToLowerInvariant(), "model-free-injection", 0, 1, 0), (row.Type, row.Method, row.Minor, row.Major, row.Critical));
    }

    [Theory]
    [InlineData("A red bus.", "A big red bus.", 2, 3, 6, true)]
    [InlineData("A red bus.", "A blue bus.", 2, 3, 2, false)]
    [InlineData("A red bus.", "A red bus.", 6, 3, 6, true)]
    [InlineData("A red bus.", "A red", 6, 3, 4, false)]
    public void Anchoring_MovesASpanWithItsCharacters_OrSaysTheEditTouchedIt(string before, string after, int start, int length, int expectedStart, bool intact)
    {
        var carried = SpanAnchoring.Carry(SpanAnchoring.Map(before, after), start, length, after.Length);
        Assert.Equal((expectedStart, intact), (carried.Start, carried.Intact));
        Assert.InRange(carried.Length, 1, after.Length - carried.Start); // never empty, never past the end
        if (intact) Assert.Equal(before.Substring(start, length), after.Substring(carried.Start, carried.Length));
    }

    private async Task<double> WeightInTrlAsync(long pairId, int? version)
    {
        var runner = _core.Get<ExportRunner>();
        var folder = Path.Combine(_out.Path, $"trl-{version}-{Guid.NewGuid():N}");
        await runner.RunAsync(await runner.PlanAsync(new ExportOptions(_datasetId, version, ExportFormat.Trl, Weights: true), "lead"), folder);
        // Each record still passes TRL's rules besides the extra column.
        var lines = File.ReadLines(Path.Combine(folder, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.Equal(["chosen", "images", "prompt", "rejected", "weight"], l.EnumerateObject().Select(p => p.Name).Order()));
        var (chosen, rejected) = await TextsAsync(pairId);
        return lines.Single(l => l.GetProperty("rejected")[0].GetProperty("content")[0].GetProperty("text").GetString() == rejected
            && l.GetProperty("chosen")[0].GetProperty("content")[0].GetProperty("text").GetString() == chosen).GetProperty("weight").GetDouble();
    }

    private async Task AcceptSampleAsync(long sampleId)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        foreach (var p in await db.Pairs.Where(p => p.DatasetId == _datasetId && p.SampleId == sampleId).ToListAsync())
            await _core.Get<ReviewService>().AcceptAsync(p.Id, p.RowVersion, TestPrincipals.Annotator);
    }

    private async Task<(string Chosen, string Rejected)> TextsAsync(long pairId)
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        var pair = await db.Pairs.Include(p => p.ChosenResponse).Include(p => p.RejectedResponse).SingleAsync(p => p.Id == pairId);
        return (pair.ChosenResponse!.Text, pair.RejectedResponse!.Text);
    }

    /// <summary>A demo pair whose negative the model-free injector made, with its changed spans.</summary>
    private async Task<PreferencePair> InjectedPairAsync()
    {
        await using var db = await _core.Get<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.Pairs.AsNoTracking().Where(p => p.DatasetId == _datasetId && db.Responses.Any(r => r.Id == p.RejectedResponseId && r.Provenance.ChangedSpansJson != null))
            .OrderBy(p => p.Id).FirstAsync();
    }
}
