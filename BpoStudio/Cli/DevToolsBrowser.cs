using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace BpoStudio.Cli;

/// <summary>
/// Chromium driven over the DevTools protocol's one WebSocket: just enough for a benchmark to open pages in contexts of
/// their own, run script and press keys. Playwright does this for the tests, but it ships a Node driver of its own,
/// too large for the app's CLI; this needs only the browser.
/// </summary>
internal sealed class DevToolsBrowser : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;
    private int _nextId;

    private static readonly JsonSerializerOptions OmitNull = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private DevToolsBrowser(Process process, string profile) => (_process, _profile) = (process, profile);

    public static async Task<DevToolsBrowser> LaunchAsync(string executable, CancellationToken ct)
    {
        if (!File.Exists(executable)) throw new CliUsageException($"this benchmark needs Chromium at {executable} (apt-get install -y chromium), or --chromium <path>");
        var profile = Path.Combine(Path.GetTempPath(), "bpostudio-bench-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // Background pages must not be throttled: every page here stands for a reviewer at her own screen.
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync", "--disable-background-networking",
                     "--disable-component-update", "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                     "--disable-backgrounding-occluded-windows", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank" })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        var browser = new DevToolsBrowser(process, profile);
        try
        {
            var address = await ReadDevToolsAddressAsync(process, ct);
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            await browser._socket.ConnectAsync(new Uri(address), ct);
            browser._reading = browser.ReadAsync();
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    private static async Task<string> ReadDevToolsAddressAsync(Process process, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var said = new StringBuilder();
        while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            const string Marker = "DevTools listening on ";
            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None); // keep draining, or the browser blocks on a full pipe
                return line[Marker.Length..].Trim();
            }
            said.AppendLine(line);
        }
        throw new InvalidOperationException($"Chromium ended before opening its DevTools port: {said}");
    }

    public async Task<JsonElement> SendAsync(string method, object? parameters = null, string? sessionId = null, CancellationToken ct = default)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { }, sessionId }, OmitNull);
        await _sending.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            _sending.Release();
        }
        await using var _ = ct.Register(() => answer.TrySetCanceled(ct));
        return await answer.Task;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                using (var json = JsonDocument.Parse(message.ToArray()))
                    if (json.RootElement.TryGetProperty("id", out var id) && _pending.TryRemove(id.GetInt32(), out var answer))
                    {
                        if (json.RootElement.TryGetProperty("error", out var error)) answer.TrySetException(new InvalidOperationException($"DevTools: {error}"));
                        else answer.TrySetResult(json.RootElement.GetProperty("result").Clone());
                    }
                message.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }
        foreach (var answer in _pending.Values) answer.TrySetException(new InvalidOperationException("Chromium closed its DevTools connection."));
    }

    /// <summary>A page in a browser context of its own: its own cookies, as another person's browser would have.</summary>
    public async Task<DevToolsPage> NewPageAsync(int width, int height, CancellationToken ct)
    {
        var context = (await SendAsync("Target.createBrowserContext", ct: ct)).GetProperty("browserContextId").GetString()!;
        var target = (await SendAsync("Target.createTarget", new { url = "about:blank", browserContextId = context, width, height }, ct: ct)).GetProperty("targetId").GetString()!;
        var session = (await SendAsync("Target.attachToTarget", new { targetId = target, flatten = true }, ct: ct)).GetProperty("sessionId").GetString()!;
        return new DevToolsPage(this, session, target, context);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        await _reading;
        _socket.Dispose();
        _process.Dispose();
        _stop.Dispose();
        try
        {
            if (Directory.Exists(_profile)) Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium's last writes may still land in the profile; it is in the temp folder either way.
        }
    }
}

internal sealed class DevToolsPage(DevToolsBrowser browser, string session, string target, string context)
{
    public Task NavigateAsync(string url, CancellationToken ct) => browser.SendAsync("Page.navigate", new { url }, session, ct);

    /// <summary>Runs an expression (awaiting a promise it returns) and gives back its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken ct)
    {
        var result = await browser.SendAsync("Runtime.evaluate", new { expression, awaitPromise = true, returnByValue = true }, session, ct);
        if (result.TryGetProperty("exceptionDetails", out var failure))
            throw new InvalidOperationException($"In the page: {(failure.TryGetProperty("exception", out var e) && e.TryGetProperty("description", out var d) ? d.GetString() : failure.ToString())}");
        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Waits in the page itself (one round trip) until the condition holds, and returns its value.</summary>
    public Task<JsonElement> WaitForAsync(string condition, TimeSpan timeout, CancellationToken ct) => EvaluateAsync($$"""
        new Promise((resolve, reject) => {
          const started = performance.now();
          const tick = () => {
            let value; try { value = ({{condition}}); } catch { value = undefined; }
            if (value) resolve(value);
            else if (performance.now() - started > {{timeout.TotalMilliseconds}}) reject(new Error('waited {{timeout.TotalSeconds}} s for: ' + {{JsonSerializer.Serialize(condition)}} + ' at ' + location.href));
            else setTimeout(tick, 5);
          };
          tick();
        })
        """, ct);

    /// <summary>A key press as the keyboard makes it: down (with its text) and up.</summary>
    public async Task PressAsync(string key, CancellationToken ct)
    {
        var code = key.Length == 1 && char.IsAsciiLetter(key[0]) ? "Key" + char.ToUpperInvariant(key[0]) : key;
        var keyCode = key.Length == 1 ? char.ToUpperInvariant(key[0]) : 0;
        await browser.SendAsync("Input.dispatchKeyEvent", new { type = "keyDown", key, code, text = key, windowsVirtualKeyCode = keyCode }, session, ct);
        await browser.SendAsync("Input.dispatchKeyEvent", new { type = "keyUp", key, code, windowsVirtualKeyCode = keyCode }, session, ct);
    }

    public async Task CloseAsync(CancellationToken ct)
    {
        await browser.SendAsync("Target.closeTarget", new { targetId = target }, ct: ct);
        await browser.SendAsync("Target.disposeBrowserContext", new { browserContextId = context }, ct: ct);
    }
}
