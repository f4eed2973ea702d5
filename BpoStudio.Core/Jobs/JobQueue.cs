using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace BpoStudio.Core.Jobs;

/// <summary>
/// Job ids waiting to run; bounded so a burst of launches applies back-pressure instead of growing memory. An id that
/// is already waiting is not queued again: the runner's poll re-offers every claimable job, and without this a long
/// job would let the repeats fill the channel until launching a job blocked.
/// </summary>
public sealed class JobQueue
{
    private readonly Channel<long> _channel = Channel.CreateBounded<long>(new BoundedChannelOptions(256)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });
    private readonly ConcurrentDictionary<long, byte> _waiting = new();

    public async ValueTask EnqueueAsync(long jobId, CancellationToken ct = default)
    {
        if (!_waiting.TryAdd(jobId, 0)) return;
        try
        {
            await _channel.Writer.WriteAsync(jobId, ct);
        }
        catch
        {
            _waiting.TryRemove(jobId, out _);
            throw;
        }
    }

    public int Waiting => _waiting.Count;

    public async IAsyncEnumerable<long> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var jobId in _channel.Reader.ReadAllAsync(ct))
        {
            _waiting.TryRemove(jobId, out _);
            yield return jobId;
        }
    }
}
