using BpoStudio.Core.Injection;

namespace BpoStudio.Core.Judging;

/// <summary>
/// The judge's OpenAI-compatible server (<c>Judge:OpenAI</c>), usually a stronger model than the generator. When its
/// base URL is unset, the generation server is used if it takes images (<c>Generation:OpenAI:Vision</c>).
/// </summary>
public sealed class JudgeOptions
{
    public const string Section = "Judge:OpenAI";

    public string? BaseUrl { get; set; }
    public string Model { get; set; } = "";
    public string? ApiKey { get; set; }
    public int MaxConcurrency { get; set; } = 8;
    public int MaxAttempts { get; set; } = 4;
    public int MaxTokens { get; set; } = 400;
    public double Temperature { get; set; } = 0.7;

    /// <summary>A call that takes longer is abandoned and asked again (up to MaxAttempts).</summary>
    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>A reply that is not a verdict is asked again at most this many times.</summary>
    public int RetriesPerUnparsable { get; set; } = 2;

    /// <summary>Ask with a JSON-schema <c>response_format</c> (servers that refuse it are asked again without).</summary>
    public bool JsonSchema { get; set; } = true;

    /// <summary>Below this confidence a verdict is uncertain (the <c>judge-uncertain</c> finding).</summary>
    public double UncertainBelow { get; set; } = 0.75;

    /// <summary>The server the judge uses: its own, or the generation server when that one sees images; null: none.</summary>
    public LlmBackendOptions? Resolve(LlmBackendOptions generation)
    {
        if (!string.IsNullOrWhiteSpace(BaseUrl) && !string.IsNullOrWhiteSpace(Model))
            return new LlmBackendOptions { BaseUrl = BaseUrl, Model = Model, ApiKey = ApiKey, MaxConcurrency = MaxConcurrency, MaxAttempts = MaxAttempts, MaxTokens = MaxTokens, Temperature = Temperature, TopP = 1, Vision = true };
        return generation.IsConfigured && generation.Vision
            ? new LlmBackendOptions { BaseUrl = generation.BaseUrl, Model = generation.Model, ApiKey = generation.ApiKey, MaxConcurrency = generation.MaxConcurrency, MaxAttempts = generation.MaxAttempts, MaxTokens = MaxTokens, Temperature = Temperature, TopP = 1, Vision = true }
            : null;
    }
}
