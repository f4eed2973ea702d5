using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using MudBlazor;

namespace BpoStudio.Components.Pages.Review;

public sealed partial class ReviewWorkspace
{
    private readonly Stack<long> _history = new();
    private readonly HashSet<long> _skipped = [];
    private readonly DateTime _sessionStart = DateTime.UtcNow;
    private DotNetObjectReference<ReviewWorkspace>? _self;
    private IJSObjectReference? _module, _keys, _zoom, _trap;
    private ElementReference _imageFrame;
    private string _userId = "";
    private PairView? _pair;
    private ReviewProgress? _progress;
    private bool _loaded, _busy, _helpVisible, _showWeakened, _flagging, _focusWorkspace;
    private PairSide? _editing;
    private string _editText = "";
    private string? _rejectReason;
    private string? _message;
    private Severity _messageSeverity = Severity.Info;
    private int _sessionDecisions;
    private int _brightness = 100, _contrast = 100;
    private ReviewFilterValues _filters = new();
    private bool _isLead;
    private DateTime? _recentCursor; // K past this tab's history walks back through the reviewer's earlier decisions
    private readonly CancellationTokenSource _closing = new();
    private IReadOnlyList<UserSummary> _reviewers = [];

    [Parameter] public int DatasetId { get; set; }

    /// <summary>Links from triage: review only pairs with this finding, or a spot check's sample.</summary>
    [SupplyParameterFromQuery(Name = "finding")] public string? Finding { get; set; }
    [SupplyParameterFromQuery(Name = "spotCheck")] public long? SpotCheck { get; set; }
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] private ReviewQueries Queries { get; set; } = default!;
    [Inject] private ReviewQueue Queue { get; set; } = default!;
    [Inject] private ILogger<ReviewWorkspace> Log { get; set; } = default!;
    [Inject] private ReviewService Reviews { get; set; } = default!;
    [Inject] private BpoStudio.Core.Triage.PairChecker Checker { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private IServiceScopeFactory ScopeFactory { get; set; } = default!;

    private int _imageIndex = -1;
    private bool _marking;
    private ErrorSpansPanel? _spans;

    private void SetMarking(bool on) => _marking = on;

    private void ShowPanelMessage(string message) => Show(message, Severity.Info);

    /// <summary>The image on screen: the chosen one of the sample's, or of the weakened set the negative came from.</summary>
    private string? ImageHash => _pair is null || _pair.ImageHashes.Count == 0 ? null : (_showWeakened ? _pair.RejectedImageHashes : _pair.ImageHashes)[ImageIndex];

    // Until one is chosen: an image pair opens on the image it weakened, anything else on the first.
    private int ImageIndex => _pair is null ? 0
        : Math.Clamp(_imageIndex >= 0 ? _imageIndex : ShowsImagePair ? _pair.Rejected.Provenance.WeakenedImageIndex ?? 0 : 0, 0, Math.Max(0, _pair.ImageHashes.Count - 1));

    private string ImageAlt => (_showWeakened ? "weakened image" : "sample image") + (_pair?.ImageHashes.Count > 1 ? $" {ImageIndex + 1} of {_pair.ImageHashes.Count}" : "");

    /// <summary>Which of the sample's images the rejected side replaced with a weakened one: where the two lists differ.</summary>
    private IReadOnlySet<int> WeakenedIndexes => _pair is null ? new HashSet<int>()
        : Enumerable.Range(0, Math.Min(_pair.ImageHashes.Count, _pair.RejectedImageHashes.Count)).Where(i => _pair.RejectedImageHashes[i] != _pair.ImageHashes[i]).ToHashSet();

    // Another image starts at its own fit: a zoom belongs to the image it was made on.
    private async Task SelectImageAsync(int index)
    {
        _imageIndex = index;
        await ResetZoomAsync();
    }

    /// <summary>The sample's open negatives in pair order, the one on screen among them: numbers stay put as keys select another.</summary>
    private IReadOnlyList<(long PairId, ResponseKind Kind, string Text, bool Current, string ChosenText)> Negatives =>
        _pair is null ? [] : [.. _pair.Siblings.Select(s => (s.PairId, s.Kind, s.Text, false, s.ChosenText))
            .Append((_pair.PairId, _pair.Rejected.Kind, _pair.Rejected.Text, true, _pair.Chosen.Text)).OrderBy(n => n.Item1)];

    /// <summary>The pair on screen prefers what was a negative: it was swapped, and S swaps it back.</summary>
    private bool ShowsImagePair => _pair is { ImageHash: not null, Rejected: { Kind: ResponseKind.ImagePair, Provenance.WeakenedImageHash: not null } };

    private bool Swapped => _pair is not null && !_pair.Chosen.Kind.IsPositive();

    private bool FiltersSet => _filters.AnySet || SpotCheck is not null;

    /// <summary>What is true when no pair is served: no pairs at all, none matching the filters, or all of this reviewer's done.</summary>
    private string EmptyQueueMessage =>
        _progress is { Total: 0 } ? "This dataset has no pairs yet: generate negatives for it (Generate page) or import a file that carries them."
        : FiltersSet ? "No pairs match these filters. Clear a filter to see more."
        : "Nothing left to review in this dataset for you. Thank you!";

    private string SessionRate
    {
        get
        {
            var hours = Math.Max((DateTime.UtcNow - _sessionStart).TotalHours, 1.0 / 60);
            return $"This session: {_sessionDecisions} decided · {_sessionDecisions / hours:0} pairs/hour";
        }
    }

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthState).User;
        _filters = _filters with { Finding = Finding };
        _userId = user.UserId();
        _isLead = user.IsInRole(Roles.Lead) || user.IsInRole(Roles.Admin);
        if (_isLead)
        {
            await using var scope = ScopeFactory.CreateAsyncScope();
            _reviewers = await scope.ServiceProvider.GetRequiredService<UserAdministration>().ListAsync();
        }
        await LoadNextAsync();
        _focusWorkspace = false; // opening the page leaves focus where the browser puts it
        _ = RenewWhileOpenAsync();
    }

    private void CloseHelp()
    {
        _helpVisible = false;
        StateHasChanged();
    }

    private string Announcement => _message is not null && _pair is null && _loaded ? $"{_message} {EmptyQueueMessage}" : _message ?? "";

    [JSInvokable]
    public async Task OnKeyAsync(string key, bool ctrl, bool shift, bool workspaceFocused)
    {
        _keyInWorkspace = workspaceFocused;
        if (_helpVisible)
        {
            if (key is "Escape" or "?") _helpVisible = false;
            StateHasChanged();
            return;
        }
        // While marking, keys belong to the marker: a stray A must not accept the pair mid-way.
        if (_marking && _spans is not null && key != "?")
        {
            await _spans.HandleKeyAsync(key, shift);
            StateHasChanged();
            return;
        }
        if (_editing is not null || _flagging)
        {
            if (key == "Escape") CancelEdit();
            else if (key == "Enter" && ctrl) await (_flagging ? SaveFlagAsync(_editText) : SaveEditAsync(_editText));
            StateHasChanged();
            return;
        }
        await (key switch
        {
            "a" => AcceptAsync(),
            "r" => RejectAsync(),
            "e" => Run(() => StartEdit(shift ? PairSide.Chosen : PairSide.Rejected)),
            "s" => SwapAsync(),
            "f" => Run(StartFlag),
            "j" or "ArrowRight" => SkipAsync(),
            "k" or "ArrowLeft" => PreviousAsync(),
            "u" => UndoAsync(),
            "z" when ctrl => UndoAsync(),
            "?" => Run(() => _helpVisible = true),
            "m" when !ShowsImagePair => Run(() => _marking = true),
            [var digit] when char.IsAsciiDigit(digit) && digit != '0' => ChooseNegativeAsync(digit - '1'),
            _ => Task.CompletedTask,
        });
        StateHasChanged();
    }

    private static Task Run(Action action)
    {
        action();
        return Task.CompletedTask;
    }

    private Task AcceptAsync() => DecideAsync(async p => await Reviews.AcceptAsync(p.PairId, p.RowVersion, await ActorAsync()), "Accepted");

    private Task RejectAsync() => DecideAsync(async p => await Reviews.RejectAsync(p.PairId, p.RowVersion, await ActorAsync(), _rejectReason), "Rejected");

    private Task SwapAsync() => ChangeInPlaceAsync(async p => await Reviews.SwapAsync(p.PairId, p.RowVersion, await ActorAsync()), "Swapped chosen and rejected");

    private void StartEdit(PairSide side)
    {
        if (_pair is null) return;
        _editing = side;
        _editText = side == PairSide.Chosen ? _pair.Chosen.Text : _pair.Rejected.Text;
    }

    private void StartFlag()
    {
        if (_pair is null) return;
        _flagging = true;
        _editText = "";
    }

    private void CancelEdit()
    {
        if (_editing is not null || _flagging) _focusWorkspace = true;
        _editing = null;
        _flagging = false;
    }

    private async Task SaveEditAsync(string text)
    {
        if (_editing is not { } side) return;
        _editText = text;
        await ChangeInPlaceAsync(async p => await Reviews.EditAsync(p.PairId, p.RowVersion, await ActorAsync(), side, text), "Edit saved as a new version");
    }

    private Task SaveFlagAsync(string comment) =>
        DecideAsync(async p => await Reviews.FlagAsync(p.PairId, p.RowVersion, await ActorAsync(), string.IsNullOrWhiteSpace(comment) ? null : comment.Trim()), "Flagged for a lead");

    private async Task SkipAsync()
    {
        if (_pair is null || _busy) return;
        await Reviews.SkipAsync(_pair.PairId, await ActorAsync());
        await Queue.ReleaseAsync(DatasetId, await ActorAsync(), _pair.PairId);
        _skipped.Add(_pair.PairId);
        _history.Push(_pair.PairId);
        await LoadNextAsync();
    }

    private async Task PreviousAsync()
    {
        if (_busy) return;
        if (_history.Count > 0)
        {
            _pair = await Queries.LoadAsync(_history.Pop(), userId: _userId);
            ResetPairState();
            return;
        }
        // Past what this tab saw (after a reload, say): the reviewer's own earlier decisions, newest first.
        var earlier = await Queries.MyEarlierDecisionAsync(DatasetId, _userId, _recentCursor, _pair?.PairId);
        if (earlier is null)
        {
            Show("No earlier decisions of yours in this dataset.", Severity.Info);
            return;
        }
        _recentCursor = earlier.Value.At;
        _pair = await Queries.LoadAsync(earlier.Value.PairId, userId: _userId);
        ResetPairState();
    }

    private async Task ChooseNegativeAsync(int index)
    {
        var negatives = Negatives;
        if (_pair is null || index < 0 || index >= negatives.Count || negatives[index].Current) return;
        _history.Push(_pair.PairId);
        _pair = await Queries.LoadAsync(negatives[index].PairId, userId: _userId);
        ResetPairState();
    }

    private async Task UndoAsync()
    {
        if (_busy) return;
        PairView? restored;
        try
        {
            restored = await Reviews.UndoAsync(DatasetId, await ActorAsync());
        }
        catch (Exception ex) when (BpoStudio.Core.DomainErrors.IsRefusal(ex))
        {
            Show(ex.Message, Severity.Warning);
            return;
        }
        if (restored is null)
        {
            Show("Nothing to undo.", Severity.Info);
            return;
        }
        if (_pair is not null) _history.Push(_pair.PairId);
        _sessionDecisions = Math.Max(0, _sessionDecisions - 1);
        _pair = restored;
        ResetPairState();
        _progress = await Queries.ProgressAsync(DatasetId, _userId);
        Show("Undone.", Severity.Info);
    }

    // A decision moves on to the next pair; its outcome says whether the pair is now complete (for the progress bar).
    private Task DecideAsync(Func<PairView, Task<PairOutcome>> decide, string done) => ChangeAsync(async pair =>
    {
        var outcome = await decide(pair);
        CancelEdit();
        _sessionDecisions++;
        _history.Push(outcome.PairId);
        var recount = _sessionDecisions % ProgressRecountEvery == 0;
        await LoadNextAsync(recount);
        if (_progress is not null && !recount)
            _progress = _progress with { Mine = _progress.Mine + 1, Decided = _progress.Decided + (outcome.Status == PairStatus.Pending ? 0 : 1) };
    }, done);

    private Task ChangeInPlaceAsync(Func<PairView, Task<PairView>> change, string done) => ChangeAsync(async pair =>
    {
        _pair = await change(pair);
        CancelEdit();
    }, done);

    private async Task ChangeAsync(Func<PairView, Task> change, string done)
    {
        if (_pair is null || _busy) return;
        _busy = true;
        try
        {
            await change(_pair);
            Show(done, Severity.Success);
        }
        catch (PairAlreadyDecidedException completed)
        {
            // Others completed it meanwhile: move on, and say so briefly.
            _history.Push(completed.PairId);
            await LoadNextAsync();
            Show(completed.Message, Severity.Info);
        }
        catch (ReviewConflictException conflict)
        {
            _pair = conflict.Current;
            CancelEdit();
            Show(conflict.Message, Severity.Warning);
        }
        catch (Exception ex) when (BpoStudio.Core.DomainErrors.IsRefusal(ex))
        {
            // Refused by the pair's state (a lead's final decision) or by the account: a message, not a dead circuit.
            Show(ex.Message, Severity.Warning);
            if (ex is ReviewRefusedException && _pair is not null) _pair = await Queries.LoadAsync(_pair.PairId, userId: _userId);
        }
        finally
        {
            _busy = false;
            _focusWorkspace = true;
        }
    }

    // Counting a million pairs after every decision would dominate the hot path; count now and then, add locally between.
    private const int ProgressRecountEvery = 20;

    private async Task LoadNextAsync(bool recount = true)
    {
        _pair = await Queue.ServeAsync(DatasetId, await ActorAsync(),
            _filters.ToPairFilter(SpotCheck), _skipped);
        if (recount || _progress is null) _progress = await Queries.ProgressAsync(DatasetId, _userId);
        _loaded = true;
        ResetPairState();
    }

    private async Task ApplyFilterAsync(ReviewFilterValues filters)
    {
        _filters = filters;
        await LoadNextAsync();
        _focusWorkspace = false; // focus stays in the filter being changed
    }

    private void ResetPairState()
    {
        _focusWorkspace = true;
        _showWeakened = false;
        _imageIndex = -1;
        _marking = false;
        _rejectReason = null; // a reason belongs to the pair it was chosen for
        CancelEdit(); // the image's zoom resets in the browser when the pair changes
    }

    // Taken at each action, not kept from the first render: a revoked session makes it anonymous and the service refuses.
    private async Task<ClaimsPrincipal> ActorAsync() => (await AuthState).User;

    private void Show(string message, Severity severity) => (_message, _messageSeverity) = (message, severity);

    private static string Ago(DateTime at)
    {
        var age = DateTime.UtcNow - DateTime.SpecifyKind(at, DateTimeKind.Utc);
        return age.TotalMinutes < 1 ? "just now"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min ago"
            : age.TotalDays < 1 ? $"{(int)age.TotalHours} h ago"
            : $"on {at:yyyy-MM-dd}";
    }

    private static double Percent(int part, int total) => total == 0 ? 0 : 100.0 * part / total;
}
