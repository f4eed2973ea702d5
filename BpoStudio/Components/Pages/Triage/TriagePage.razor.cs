using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using BpoStudio.Core.Triage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace BpoStudio.Components.Pages.Triage;

/// <summary>A dataset's triage: what the checks found, the pairs behind each finding, and the bulk and sampled decisions over them.</summary>
public sealed partial class TriagePage
{
    private long? _jobId;
    private TriageOverview? _overview;
    private IReadOnlyList<CheckInfo> _catalog = [];
    private PairFilter _filter = new();
    private string? _name, _message;
    private Severity _messageSeverity;
    private bool _recomputing;
    private long _checked;
    private int _version;

    [Parameter] public int DatasetId { get; set; }

    // The filter lives in the address, so a triage view can be reloaded, bookmarked and sent to someone.
    [SupplyParameterFromQuery(Name = "finding")] public string? Finding { get; set; }
    [SupplyParameterFromQuery(Name = "noBlocking")] public bool NoBlocking { get; set; }
    [SupplyParameterFromQuery(Name = "kind")] public string? Kind { get; set; }
    [SupplyParameterFromQuery(Name = "method")] public string? Method { get; set; }
    [SupplyParameterFromQuery(Name = "status")] public string? Status { get; set; }
    [SupplyParameterFromQuery(Name = "q")] public string? Search { get; set; }
    [SupplyParameterFromQuery(Name = "source")] public string? Source { get; set; }
    [SupplyParameterFromQuery(Name = "scorer")] public string? Scorer { get; set; }
    [SupplyParameterFromQuery(Name = "scoreFrom")] public double? ScoreFrom { get; set; }
    [SupplyParameterFromQuery(Name = "scoreBelow")] public double? ScoreBelow { get; set; }
    [SupplyParameterFromQuery(Name = "uncertainFirst")] public bool UncertainFirst { get; set; }
    [Inject] private BpoStudio.Core.Judging.JudgeCalibration Calibration { get; set; } = default!;
    private string? _judge;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    private int _loadedDataset;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] private TriageQueries Queries { get; set; } = default!;
    [Inject] private PairChecker Checker { get; set; } = default!;
    [Inject] private DatasetQueries Datasets { get; set; } = default!;
    [Inject] private PairChecksJobs CheckJobs { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _filter = new PairFilter(ResponseKindNames.TryParse(Kind, out var kind) ? kind : null, Method, Search,
            Enum.TryParse<PairStatus>(Status, ignoreCase: true, out var status) ? status : null, Source, Finding: Finding, NoBlocking: NoBlocking && Finding is null,
            Scorer: Scorer, ScoreAtLeast: Scorer is null ? null : ScoreFrom, ScoreBelow: Scorer is null ? null : ScoreBelow, UncertainFirst: UncertainFirst && Scorer is not null);
        if (_loadedDataset == DatasetId) return; // only the filter changed
        _loadedDataset = DatasetId;
        _name = (await Datasets.ListAsync()).FirstOrDefault(d => d.Id == DatasetId)?.Name;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _overview = await Queries.OverviewAsync(DatasetId, (await AuthState).User);
        _catalog = await Checker.CatalogAsync(DatasetId);
        _judge = await Calibration.LatestJudgeAsync(DatasetId);
    }

    private Task ApplyAsync(PairFilter filter)
    {
        _filter = filter;
        _version++;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["finding"] = filter.Finding, ["noBlocking"] = filter.NoBlocking ? true : null, ["kind"] = filter.RejectedKind?.ToWire(),
            ["method"] = filter.Method, ["status"] = filter.Status?.ToString().ToLowerInvariant(), ["q"] = filter.Search, ["source"] = filter.Source,
            ["scorer"] = filter.Scorer, ["scoreFrom"] = filter.ScoreAtLeast, ["scoreBelow"] = filter.ScoreBelow, ["uncertainFirst"] = filter.UncertainFirst ? true : null,
        }), new NavigationOptions { ReplaceHistoryEntry = true });
        return Task.CompletedTask;
    }

    private async Task ChangedAsync(string message)
    {
        Show(message, Severity.Success);
        _version++;
        await LoadAsync();
    }

    // The checks run as a job (resumable, visible in the job list); the page follows its progress and reloads at the end.
    private async Task RecomputeAsync()
    {
        try
        {
            _jobId = (await CheckJobs.StartAsync(DatasetId, (await AuthState).User)).Id;
            (_recomputing, _checked) = (true, 0);
        }
        catch (UnauthorizedAccessException ex)
        {
            Show(ex.Message, Severity.Error);
        }
    }

    private async Task OnProgressAsync(JobSnapshot snapshot)
    {
        if (snapshot.Id != _jobId) return;
        _checked = snapshot.ItemsDone;
        if (snapshot.Status is JobStatus.Queued or JobStatus.Running) return;
        (_recomputing, _jobId) = (false, null);
        if (snapshot.Status == JobStatus.Completed) await ChangedAsync($"Checked {snapshot.ItemsDone:N0} pairs.");
        else Show($"The checks job {snapshot.Status.ToString().ToLowerInvariant()}: {snapshot.Error}", Severity.Error);
    }

    private async Task SetSeverityAsync((string CheckId, FindingSeverity Severity) change)
    {
        try
        {
            await Checker.SetSeverityAsync(DatasetId, change.CheckId, change.Severity, (await AuthState).User);
            await ChangedAsync($"{change.CheckId} now counts as {change.Severity.ToWire()} on this dataset.");
        }
        catch (Exception ex) when (BpoStudio.Core.DomainErrors.IsRefusal(ex))
        {
            Show(ex.Message, Severity.Error);
        }
    }

    private void Show(string message, Severity severity) => (_message, _messageSeverity) = (message, severity);
}
