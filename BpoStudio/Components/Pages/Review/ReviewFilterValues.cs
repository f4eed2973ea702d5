using BpoStudio.Core.Datasets;
using BpoStudio.Core.Review;

namespace BpoStudio.Components.Pages.Review;

/// <summary>What the review page's filter bar holds: compared by value, so the bar re-renders only when one changes.</summary>
public sealed record ReviewFilterValues(
    ResponseKind? Kind = null, PairStatus Status = PairStatus.Pending, MyDecisionFilter? Mine = null, string? Source = null,
    string? Assignee = null, string? Finding = null, string? Method = null, string? Search = null)
{
    public int ActiveCount => new[] { Mine is not null, Kind is not null, !string.IsNullOrWhiteSpace(Method), !string.IsNullOrWhiteSpace(Search), Status != PairStatus.Pending,
        !string.IsNullOrWhiteSpace(Source), Assignee is not null, Finding is not null }.Count(on => on);

    public bool AnySet => ActiveCount > 0;

    public PairFilter ToPairFilter(long? spotCheck) => new(Kind, Method, Search, Status, Source, Assignee, Finding, SpotCheckId: spotCheck, MyDecision: Mine);
}
