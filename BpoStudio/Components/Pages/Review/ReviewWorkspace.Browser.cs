using Microsoft.JSInterop;

namespace BpoStudio.Components.Pages.Review;

/// <summary>The workspace's life in the browser: script handles (keys, zoom, focus trap), renewing the reservation, leaving.</summary>
public sealed partial class ReviewWorkspace
{
    // The pair on screen stays reserved while the page is open; a closed or dead circuit stops renewing and the
    // reservation lapses even if DisposeAsync never ran.
    private async Task RenewWhileOpenAsync()
    {
        using var timer = new PeriodicTimer(Queue.Lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
                await Queue.RenewAsync(DatasetId, await ActorAsync(), _closing.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            Log.LogWarning(ex, "Renewing review reservations stopped for dataset {DatasetId}", DatasetId);
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        var keyInWorkspace = _keyInWorkspace;
        _keyInWorkspace = false;
        if (firstRender)
        {
            _self = DotNetObjectReference.Create(this);
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./" + Assets["js/review.js"]); // fingerprinted: there is no import map (see SecurityHeaders)
            _keys = await _module.InvokeAsync<IJSObjectReference>("attachKeys", _self);
            StateHasChanged();
        }
        // The zoomable frame exists only for a pair with one image; an image pair or an empty queue removes it.
        // Renders overlap while keys arrive fast: the field is cleared before any await, so no second render (nor a
        // key handler) touches a handle that is being disposed, and only one attach runs at a time.
        var hasFrame = _pair is not null && !ShowsImagePair;
        if (_module is not null && _zoom is null && hasFrame && !_attachingZoom)
        {
            _attachingZoom = true;
            try
            {
                var zoom = await _module.InvokeAsync<IJSObjectReference?>("attachZoom", _imageFrame);
                if (zoom is not null && _pair is not null && !ShowsImagePair) (_zoom, _zoomRetries) = (zoom, 0);
                else if (zoom is not null) await DisposeZoomAsync(zoom); // the frame went while it attached
                else if (_pair is not null && !ShowsImagePair && ++_zoomRetries <= 3) StateHasChanged(); // a new frame came meanwhile: attach to it
            }
            finally
            {
                _attachingZoom = false;
            }
        }
        else if (_zoom is { } stale && !hasFrame)
        {
            _zoom = null;
            await DisposeZoomAsync(stale);
        }
        if (_module is null) return;
        if (_helpVisible)
        {
            _trap ??= await _module.InvokeAsync<IJSObjectReference>("trapFocus", "keyboard-help");
            return;
        }
        if (_trap is not null)
        {
            // Released, and the render goes on: Esc then E in quick succession lands both in one render, and the edit box
            // must still take focus (it had been skipped, a flaky keyboard test found).
            await _trap.InvokeVoidAsync("release");
            await _trap.DisposeAsync();
            _trap = null;
        }
        if (_editing is not null || _flagging) await _module.InvokeVoidAsync("focusElement", "edit-text");
        else if (_focusWorkspace)
        {
            // After a decision the next pair (or the empty queue's message) takes focus: it is never left on a removed button.
            // A key pressed in the workspace leaves focus there, since the element stays from pair to pair: no call then.
            _focusWorkspace = false;
            if (!(keyInWorkspace && _pair is not null)) await _module.InvokeVoidAsync("focusElement", _pair is null ? "main-content" : "review-workspace");
        }
    }

    private bool _attachingZoom;
    private bool _keyInWorkspace;
    private int _zoomRetries;

    private static async Task DisposeZoomAsync(IJSObjectReference zoom)
    {
        try
        {
            await zoom.InvokeVoidAsync("dispose");
            await zoom.DisposeAsync();
        }
        catch (Exception ex) when (ex is JSDisconnectedException or ObjectDisposedException or TaskCanceledException)
        {
        }
    }

    private async Task ResetZoomAsync()
    {
        if (_zoom is not { } zoom) return;
        try
        {
            await zoom.InvokeVoidAsync("reset");
        }
        catch (Exception ex) when (ex is JSDisconnectedException or ObjectDisposedException or TaskCanceledException or JSException)
        {
            // The frame went with the pair (an image pair came next); the new frame starts at its own fit.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        try
        {
            // Leaving the page gives this reviewer's pairs back to the team at once instead of at expiry.
            await Queue.ReleaseAsync(DatasetId, await ActorAsync());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.LogDebug(ex, "Releasing review reservations on leaving dataset {DatasetId}", DatasetId);
        }
        try
        {
            if (_keys is not null) { await _keys.InvokeVoidAsync("dispose"); await _keys.DisposeAsync(); }
            if (_zoom is not null) { await _zoom.InvokeVoidAsync("dispose"); await _zoom.DisposeAsync(); }
            if (_trap is not null) { await _trap.InvokeVoidAsync("release"); await _trap.DisposeAsync(); }
            if (_module is not null) await _module.DisposeAsync();
        }
        catch (Exception ex) when (ex is JSDisconnectedException or TaskCanceledException or ObjectDisposedException)
        {
            // The circuit is gone (a closed tab): the browser dropped the listeners with the page.
        }
        _self?.Dispose();
        _closing.Dispose();
    }
}
