using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Review;

/// <summary>Who acts in a review, always taken from the signed-in principal, whose role is checked here.</summary>
public sealed record Reviewer(string Id, string Name)
{
    public static Reviewer Of(ClaimsPrincipal actor)
    {
        actor.RequireReviewer("review pairs");
        return new Reviewer(actor.UserId(), actor.DisplayName());
    }
}

public enum PairSide
{
    Chosen,
    Rejected,
}

public sealed record ResponseDetail(long Id, ResponseKind Kind, string Text, GeneratorProvenance Provenance, bool IsEdited);

/// <summary>A negative of the same sample still open to review, shown as its own card; diffed against its own pair's chosen answer (a swapped pair has another).</summary>
public sealed record SiblingNegative(long PairId, ResponseKind Kind, string Text, string? Method, string ChosenText = "");

public sealed record PairView(
    long PairId,
    int DatasetId,
    long RowVersion,
    PairStatus Status,
    long SampleId,
    string? ImageHash,
    string? ImageProblem,
    string Prompt,
    ResponseDetail Chosen,
    ResponseDetail Rejected,
    IReadOnlyList<SiblingNegative> Siblings,
    IReadOnlyList<string> Assignees,
    string? FlagComment,
    IReadOnlyList<string>? MoreImageHashes = null)
{
    /// <summary>The viewing reviewer's own standing decision on this pair, when loaded for one.</summary>
    public MyDecision? Mine { get; init; }

    /// <summary>The turns of the conversation before this one (what every export carries as context), oldest first.</summary>
    public IReadOnlyList<ConversationTurn> EarlierTurns { get; init; } = [];

    /// <summary>The lead whose resolution is final; the reviewer's decision can no longer change.</summary>
    public string? ResolvedBy { get; init; }

    /// <summary>The sample's images in order; empty for a text-only sample.</summary>
    public IReadOnlyList<string> ImageHashes => Datasets.ImageList.All(ImageHash, MoreImageHashes);

    /// <summary>The images the rejected side goes with: the weakened one(s) in place, for a weakened-image negative or an image pair.</summary>
    public IReadOnlyList<string> RejectedImageHashes => Rejected.Provenance.WeakenedImages(ImageHashes);
}

public sealed record ReviewProgress(int Total, int Decided, int Mine);

public sealed record MyDecision(Decision Decision, DateTime At);

public sealed record ConversationTurn(int Turn, string User, string Assistant);

public static class MyDecisionFilters
{
    public static Decision? AsDecision(this MyDecisionFilter filter) => filter switch
    {
        MyDecisionFilter.Accepted => Decision.Accepted,
        MyDecisionFilter.Rejected => Decision.Rejected,
        MyDecisionFilter.Flagged => Decision.Flagged,
        _ => null,
    };
}

/// <summary>
/// The pair was decided by others while this reviewer had it open, and its overlap is satisfied: their decision is
/// not needed. The page moves on with a note instead of asking to decide again.
/// </summary>
public sealed class PairAlreadyDecidedException(long pairId, PairStatus status, string? by)
    : ConflictError($"Pair {pairId} was already {status.ToString().ToLowerInvariant()}{(by is null ? "" : " by " + by)}; your decision was not needed, so here is the next pair.")
{
    public long PairId { get; } = pairId;
}

/// <summary>Someone else changed the pair since it was loaded; carries their version so nothing is overwritten silently.</summary>
public sealed class ReviewConflictException(PairView current)
    : ConflictError($"Pair {current.PairId} was changed by someone else while you were reviewing it. Their version is shown; apply your decision again if it still holds.")
{
    public PairView Current { get; } = current;
}

/// <summary>An action the pair's state forbids (a lead's final resolution, someone else's later work); shown as a message.</summary>
public sealed class ReviewRefusedException(string message) : ConflictError(message);

public static class RejectReasons
{
    public static readonly IReadOnlyList<string> All =
    [
        "Negative is actually correct",
        "Negative is not plausible",
        "Chosen answer is wrong",
        "Image is unusable",
        "Prompt is unclear",
        "Other",
    ];
}

/// <summary>A decision's effect on its pair: its status now (still pending under overlap until enough reviewers decided) and row version.</summary>
public sealed record PairOutcome(long PairId, PairStatus Status, long RowVersion);
