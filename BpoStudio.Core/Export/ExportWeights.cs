using BpoStudio.Core.Datasets;

namespace BpoStudio.Core.Export;

/// <summary>
/// A pair's weight, for trainers that scale each pair's loss: the severity part (<c>--weights</c>: 1 plus the severity
/// weights of the rejected answer's confirmed error spans) times the judge part (<c>--judge-weights</c>: for a pair no
/// person decided, the scorer's preference for the chosen answer, the share of its votes, so a pair accepted by a
/// threshold or in bulk counts as much as the judge believes in it; 1 for a pair a person decided or the scorer did not
/// score). Null when the export asks for neither.
/// </summary>
public static class ExportWeights
{
    public static double? Of(ExportOptions options, double? severity, DecisionSource source, ExportScore? score)
    {
        if (!options.Weights && !options.JudgeWeights) return null;
        var judge = options.JudgeWeights && source != DecisionSource.Person && score is { } s ? s.PreferChosen : 1;
        return (severity ?? 1) * judge;
    }
}
