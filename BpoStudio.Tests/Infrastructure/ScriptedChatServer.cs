using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BpoStudio.Tests.Infrastructure;

/// <summary>
/// An OpenAI-compatible chat-completions server on 127.0.0.1 (real Kestrel, real HTTP) that answers from a script
/// and records every request, so the Semantic Kernel path is tested end to end without a model.
/// </summary>
public sealed class ScriptedChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _replies = new();

    private ScriptedChatServer(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonObject> Requests { get; } = new();
    public string BaseUrl => _app.Urls.First() + "/v1";

    /// <summary>Answer this many requests with 503 first (a busy server).</summary>
    public int FailuresFirst { get; set; }

    /// <summary>How long each request takes, to observe concurrency.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Only this many requests take <see cref="Delay"/> (a server that stalls and recovers); the rest answer at once.</summary>
    public int SlowRequests { get; set; } = int.MaxValue;

    /// <summary>The status of the armed failures: 503 (busy) or 429 (rate-limited).</summary>
    public int FailureStatus { get; set; } = 503;
    private int _requests;

    public int MaxInFlight => _maxInFlight;
    private int _inFlight, _maxInFlight, _failuresLeft;

    /// <summary>Arms <see cref="FailuresFirst"/>: the next that many requests fail.</summary>
    public void FailNext(int count) => (FailuresFirst, _failuresLeft) = (count, count);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>Replies are served in order; when the script runs out, <paramref name="fallback"/> answers.</summary>
    public Func<JsonObject, string> Fallback { get; set; } = _ => "fallback reply";

    public static async Task<ScriptedChatServer> StartAsync(params string[] replies)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedChatServer(app);
        foreach (var reply in replies) server._replies.Enqueue(reply);
        server._failuresLeft = int.MaxValue;
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var request = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            server.Requests.Enqueue(request);
            var now = Interlocked.Increment(ref server._inFlight);
            InterlockedMax(ref server._maxInFlight, now);
            try
            {
                if (server.Delay > TimeSpan.Zero && Interlocked.Increment(ref server._requests) <= server.SlowRequests) await Task.Delay(server.Delay);
            }
            finally
            {
                Interlocked.Decrement(ref server._inFlight);
            }
            if (server.FailuresFirst > 0 && Interlocked.Decrement(ref server._failuresLeft) >= 0)
                return Results.Text("""{"error":{"message":"busy"}}""", "application/json", statusCode: server.FailureStatus);
            var content = server._replies.TryDequeue(out var scripted) ? scripted : server.Fallback(request);
            var response = new
            {
                id = "chatcmpl-test",
                @object = "chat.completion",
                created = 1_700_000_000,
                model = request["model"]?.GetValue<string>() ?? "test",
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 20, completion_tokens = 10, total_tokens = 30 },
            };
            return Results.Text(JsonSerializer.Serialize(response), "application/json");
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
