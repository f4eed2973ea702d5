namespace BpoStudio.Core.Judging;

/// <summary>
/// One scorer's view of one pair: how strongly it prefers the chosen answer (0 to 1), how sure it is, why, whether it
/// saw the image, and with which model and prompt template version. A pair can carry scores from several scorers (the
/// judge, imported data, programs); a scorer scores a pair once per template version.
/// </summary>
public class PairScore
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public long PairId { get; set; }

    /// <summary>Who scored: <c>judge:&lt;model&gt;</c>, or the agent a program or an import names.</summary>
    public required string Scorer { get; set; }

    /// <summary>The prompt template and its version (<c>pairwise-v1</c>); empty for scores that came with data.</summary>
    public required string Template { get; set; }

    /// <summary>Share of the votes for the chosen answer over both orders and every sample (a tie is half a vote); null when no reply was a verdict.</summary>
    public double? PreferChosen { get; set; }

    /// <summary>Share of the votes that agree with the majority: 1 when every reply agreed.</summary>
    public double? Confidence { get; set; }

    /// <summary>The orders disagreed (chosen preferred as A but not as B, or the reverse): a position-biased verdict.</summary>
    public bool OrdersDisagree { get; set; }

    public bool SawImage { get; set; }

    /// <summary>Replies that were not a verdict (prose, broken JSON, a refusal) after the retries; never guessed.</summary>
    public int Unparsable { get; set; }
    public int Votes { get; set; }
    public string? Rationale { get; set; }
    public long Tokens { get; set; }
    public long? JobId { get; set; }
    public DateTime CreatedAt { get; set; }
}
