using System.Security.Claims;
using System.Text.RegularExpressions;
using BpoStudio.Core.Feedback;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;

namespace BpoStudio.Components.Pages.Review;

/// <summary>
/// The rejected answer as words with a cursor and a selection. The workspace hands it its keys while marking;
/// a mouse selection over the words becomes the selection too.
/// </summary>
public sealed partial class ErrorSpansPanel : IAsyncDisposable
{
    private SpanSheet? _sheet;
    private List<(int Start, int Length)> _words = [];
    private int _cursor, _anchor;
    private ErrorType _type = ErrorType.Object;
    private ErrorSeverity _severity = ErrorSeverity.Major;
    private ElementReference _textElement;
    private IJSObjectReference? _module, _selection;
    private DotNetObjectReference<ErrorSpansPanel>? _self;
    private (long Pair, long Rejected)? _loaded;

    [Parameter, EditorRequired] public long PairId { get; set; }

    /// <summary>The rejected answer's version on screen: an edit or a swap gives the pair another one, whose spans are read afresh.</summary>
    [Parameter, EditorRequired] public long RejectedId { get; set; }
    [Parameter] public bool Marking { get; set; }
    [Parameter] public EventCallback<bool> MarkingChanged { get; set; }

    /// <summary>What happened, for the page's message and its live region.</summary>
    [Parameter] public EventCallback<string> OnMessage { get; set; }
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] private ErrorSpanService Spans { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        // The panel stays from pair to pair (its script stays attached to the text): each new pair starts afresh.
        if (_loaded == (PairId, RejectedId)) return;
        _loaded = (PairId, RejectedId);
        Show(await Spans.SheetAsync(PairId, await ActorAsync()));
        (_cursor, _anchor, _type, _severity) = (0, 0, ErrorType.Object, ErrorSeverity.Major);
    }

    // The words are rendered only once the sheet has loaded, which may be after the first render: attach then.
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_selection is not null || _sheet is null) return;
        _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./" + Assets["js/review.js"]);
        _self ??= DotNetObjectReference.Create(this);
        _selection = await _module.InvokeAsync<IJSObjectReference>("attachSpanSelection", _textElement, _self);
    }

    /// <summary>A key while marking; keys that are not the marker's do nothing.</summary>
    public async Task HandleKeyAsync(string key, bool shift)
    {
        await ApplyKeyAsync(key, shift);
        StateHasChanged(); // the workspace's render does not reach this component when its parameters stay the same
    }

    private async Task ApplyKeyAsync(string key, bool shift)
    {
        switch (key)
        {
            case "ArrowRight": SetCursor(Math.Min(_cursor + 1, _words.Count - 1), shift); return;
            case "ArrowLeft": SetCursor(Math.Max(_cursor - 1, 0), shift); return;
            case "t": _type = Next(_type, shift); return;
            case "v": _severity = Next(_severity, shift); return;
            case "x": await MarkAsync(); return;
            case "Delete" or "Backspace":
                if (SpanAtCursor() is { } span) await RemoveAsync(span);
                return;
            case "y" or "n":
                if (SuggestionAtCursor() is { } suggestion) await (key == "y" ? ConfirmAsync(suggestion) : DismissAsync(suggestion));
                return;
            case "m" or "Escape": await MarkingChanged.InvokeAsync(false); return;
            default: return;
        }
    }

    /// <summary>From the mouse: the characters the reader selected over the words, widened to whole words.</summary>
    [JSInvokable]
    public Task OnTextSelectedAsync(int start, int end)
    {
        var first = _words.FindIndex(w => w.Start + w.Length > start);
        var last = _words.FindLastIndex(w => w.Start < end);
        if (first < 0 || last < first) return Task.CompletedTask;
        (_anchor, _cursor) = (first, last);
        StateHasChanged();
        return Marking ? Task.CompletedTask : MarkingChanged.InvokeAsync(true);
    }

    /// <summary>A click on a word puts the cursor there (one listener on the text, not a handler per word).</summary>
    [JSInvokable]
    public Task OnWordClickedAsync(int word)
    {
        if (word < 0 || word >= _words.Count) return Task.CompletedTask;
        SetCursor(word, extend: false);
        StateHasChanged();
        return Task.CompletedTask;
    }

    private void SetCursor(int word, bool extend)
    {
        _cursor = word;
        if (!extend) _anchor = word;
    }

    private (int Start, int Length) Selection
    {
        get
        {
            if (_words.Count == 0) return (0, 0);
            var (from, to) = (_words[Math.Min(_anchor, _cursor)], _words[Math.Max(_anchor, _cursor)]);
            return (from.Start, to.Start + to.Length - from.Start);
        }
    }

    private string SelectedText => _sheet is null || _words.Count == 0 ? "" : _sheet.Text.Substring(Selection.Start, Selection.Length);

    private Task ToggleAsync() => MarkingChanged.InvokeAsync(!Marking);

    private Task MarkAsync()
    {
        var (start, length) = Selection;
        var (type, severity, text) = (_type, _severity, SelectedText);
        return RunAsync(async actor => await Spans.MarkAsync(PairId, ResponseId, start, length, type, severity, actor), $"Marked “{text}” as {Describe(type, severity)}");
    }

    private Task KeepAsync(ErrorSpan span) =>
        RunAsync(async actor => await Spans.ChangeAsync(span.Id, span.Type, span.Severity, actor), $"Kept “{span.Text}” as {Describe(span.Type, span.Severity)}");

    private Task RemoveAsync(ErrorSpan span) => RunAsync(async actor => await Spans.RemoveAsync(span.Id, actor), $"Removed the error on “{span.Text}”");

    private Task ConfirmAsync(SuggestedSpan s) =>
        RunAsync(async actor => await Spans.ConfirmAsync(PairId, ResponseId, s, s.Type, _severity, actor), $"Kept the suggestion “{s.Text}” as {Describe(s.Type, _severity)}");

    private Task DismissAsync(SuggestedSpan s) => RunAsync(async actor => await Spans.DismissAsync(PairId, ResponseId, s, actor), $"Dropped the suggestion “{s.Text}”");

    // The text version the offsets were taken on: the service refuses them on another.
    private long ResponseId => _sheet!.ResponseId;

    private async Task RunAsync(Func<ClaimsPrincipal, Task<SpanSheet>> action, string done)
    {
        try
        {
            Show(await action(await ActorAsync()));
            await OnMessage.InvokeAsync(done);
        }
        catch (Core.Review.ReviewRefusedException refused)
        {
            Show(await Spans.SheetAsync(PairId, await ActorAsync())); // the answer as it is now
            await OnMessage.InvokeAsync(refused.Message);
        }
        catch (Exception ex) when (BpoStudio.Core.DomainErrors.IsRefusal(ex))
        {
            await OnMessage.InvokeAsync(ex.Message);
        }
    }

    private void Show(SpanSheet sheet)
    {
        _sheet = sheet;
        _words = [.. Words().Matches(sheet.Text).Select(m => (m.Index, m.Length))];
        _cursor = Math.Min(_cursor, Math.Max(0, _words.Count - 1));
        _anchor = Math.Min(_anchor, Math.Max(0, _words.Count - 1));
    }

    private ErrorSpan? SpanAtCursor() => _words.Count == 0 ? null : _sheet?.Spans.FirstOrDefault(s => s.Overlaps(_words[_cursor].Start, _words[_cursor].Length));

    private SuggestedSpan? SuggestionAtCursor() => _words.Count == 0 ? null
        : _sheet?.Suggestions.FirstOrDefault(s => s.Start < _words[_cursor].Start + _words[_cursor].Length && _words[_cursor].Start < s.Start + s.Length);

    private string WordClass(int index)
    {
        var (start, length) = _words[index];
        var classes = new List<string> { "span-word" };
        if (_sheet!.Spans.FirstOrDefault(s => s.Overlaps(start, length)) is { } span) classes.Add(span.Status == SpanStatus.Stale ? "stale" : SeverityClass(span.Severity));
        else if (_sheet.Suggestions.Any(s => s.Start < start + length && start < s.Start + s.Length)) classes.Add("suggested");
        if (Marking && index >= Math.Min(_anchor, _cursor) && index <= Math.Max(_anchor, _cursor)) classes.Add("selected");
        if (Marking && index == _cursor) classes.Add("cursor");
        return string.Join(' ', classes);
    }

    // The characters between one word and the next, as the text has them.
    private string Gap(int index) => index + 1 < _words.Count ? _sheet!.Text[(_words[index].Start + _words[index].Length).._words[index + 1].Start] : "";

    private static string SeverityClass(ErrorSeverity severity) => "severity-" + severity.ToString().ToLowerInvariant();

    private static string Describe(ErrorType type, ErrorSeverity severity) => $"{type.ToString().ToLowerInvariant()}, {severity.ToString().ToLowerInvariant()}";

    private static T Next<T>(T value, bool back) where T : struct, Enum
    {
        var all = Enum.GetValues<T>();
        var at = Array.IndexOf(all, value);
        return all[(at + (back ? all.Length - 1 : 1)) % all.Length];
    }

    private async Task<ClaimsPrincipal> ActorAsync() => (await AuthState).User;

    [GeneratedRegex(@"\S+")]
    private static partial Regex Words();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_selection is not null) { await _selection.InvokeVoidAsync("dispose"); await _selection.DisposeAsync(); }
            if (_module is not null) await _module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
        }
        _self?.Dispose();
    }
}
