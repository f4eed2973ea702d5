using BpoStudio.Components.Jobs;
using BpoStudio.Core.Jobs;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Jobs;

public class JobProgressListenerTests
{
    private static JobSnapshot Snapshot(long id, JobKind kind, JobStatus status = JobStatus.Running) =>
        new(id, kind, status, 10, 3, 0, 0, null, null, null);

    [Fact]
    public async Task FollowsOnlyItsKind_OnTheCircuit_AndStopsWhenRemoved()
    {
        await using var ctx = new BunitContext();
        var notifier = new JobProgressNotifier();
        ctx.Services.AddSingleton(notifier);
        var seen = new List<(long Id, bool OnRenderer)>();
        var listener = ctx.Render<JobProgressListener>(p => p
            .Add(l => l.Kind, JobKind.Export)
            .Add(l => l.OnProgress, (JobSnapshot s) => seen.Add((s.Id, ctx.Renderer.Dispatcher.CheckAccess()))));

        await Task.Run(() =>
        {
            notifier.Publish(Snapshot(1, JobKind.Import));
            notifier.Publish(Snapshot(2, JobKind.Export));
        });
        listener.WaitForAssertion(() => Assert.Equal([(2L, true)], seen));

        await ctx.DisposeComponentsAsync();
        notifier.Publish(Snapshot(3, JobKind.Export));
        await Task.Delay(50);
        Assert.Single(seen);
    }

    [Fact]
    public async Task AHandlersFailure_ReachesThePagesErrorBoundary()
    {
        await using var ctx = new BunitContext();
        var notifier = new JobProgressNotifier();
        ctx.Services.AddSingleton(notifier);
        var page = ctx.Render<ErrorBoundary>(p => p
            .Add(b => b.ChildContent, (RenderFragment)(builder =>
            {
                builder.OpenComponent<JobProgressListener>(0);
                builder.AddAttribute(1, nameof(JobProgressListener.OnProgress),
                    EventCallback.Factory.Create<JobSnapshot>(new object(), (JobSnapshot _) => throw new InvalidOperationException("the page's handler broke")));
                builder.CloseComponent();
            }))
            .Add(b => b.ErrorContent, (RenderFragment<Exception>)(ex => builder => builder.AddContent(0, $"caught: {ex.Message}"))));

        await Task.Run(() => notifier.Publish(Snapshot(7, JobKind.Checks)));

        page.WaitForAssertion(() => Assert.Contains("caught: the page's handler broke", page.Markup));
    }
}
