using BpoStudio.Core.Jobs;

namespace BpoStudio.Tests.Jobs;

public class JobQueueTests
{
    [Fact]
    public async Task AJobAlreadyWaiting_IsNotQueuedAgain_SoRepeatedPollsNeverFillTheQueue()
    {
        var queue = new JobQueue();
        for (var poll = 0; poll < 1000; poll++) // far more than the channel holds; each would block once it is full
        {
            await queue.EnqueueAsync(7).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            await queue.EnqueueAsync(8).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }
        Assert.Equal(2, queue.Waiting);

        using var cts = new CancellationTokenSource();
        var read = new List<long>();
        await foreach (var id in queue.ReadAllAsync(cts.Token))
        {
            read.Add(id);
            if (read.Count == 2) break;
        }
        Assert.Equal([7L, 8L], read);
        Assert.Equal(0, queue.Waiting);

        await queue.EnqueueAsync(7); // taken out of the queue: it may be offered again
        Assert.Equal(1, queue.Waiting);
    }
}
