using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace BpoStudio.Components.Pages.Triage;

/// <summary>A dataset's triage: what the checks found, the pairs behind each finding, and the bulk and sampled decisions over them.</summary>
public sealed partial class TriagePage
{
    private TriageOverview? _overview;
    private IReadOnlyList<CheckInfo> _catalog = [];
    private PairFilter _filter = new();
    private string? _name, _message;
    private Severity _messageSeverity;
    private bool _recomputing;
    private long _checked;
    private int _version;

    [Parameter] public int DatasetId { get; set; }
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] private TriageQueries Queries { get; set; } = default!;
    [Inject] private PairChecker Checker { get; set; } = default!;
    [Inject] private DatasetQueries Datasets { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _name = (await Datasets.ListAsync()).FirstOrDefault(d => d.Id == DatasetId)?.Name;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _overview = await Queries.OverviewAsync(DatasetId);
        _catalog = await Checker.CatalogAsync(DatasetId);
    }

    private Task ApplyAsync(PairFilter filter)
    {
        _filter = filter;
        _version++;
        return Task.CompletedTask;
    }

    private async Task ChangedAsync(string message)
    {
        Show(message, Severity.Success);
        _version++;
        await LoadAsync();
    }

    private async Task RecomputeAsync()
    {
        _recomputing = true;
        try
        {
            var user = (await AuthState).User;
            var summary = await Checker.RecomputeAsync(DatasetId, user, async done =>
            {
                _checked = done;
                await InvokeAsync(StateHasChanged);
            });
            await ChangedAsync($"Checked {summary.Pairs:N0} pairs in {summary.Seconds:0.0} s.");
        }
        catch (Exception ex) when (ex is InvalidOperationException or UnauthorizedAccessException)
        {
            Show(ex.Message, Severity.Error);
        }
        finally
        {
            _recomputing = false;
        }
    }

    private async Task SetSeverityAsync((string CheckId, FindingSeverity Severity) change)
    {
        try
        {
            await Checker.SetSeverityAsync(DatasetId, change.CheckId, change.Severity, (await AuthState).User);
            await ChangedAsync($"{change.CheckId} now counts as {change.Severity.ToWire()} on this dataset.");
        }
        catch (Exception ex) when (ex is ArgumentException or UnauthorizedAccessException)
        {
            Show(ex.Message, Severity.Error);
        }
    }

    private void Show(string message, Severity severity) => (_message, _messageSeverity) = (message, severity);
}
