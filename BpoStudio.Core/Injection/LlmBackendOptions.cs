namespace BpoStudio.Core.Injection;

/// <summary>
/// An OpenAI-compatible chat endpoint (Ollama <c>http://host:11434/v1</c>, vLLM, LM Studio, llama.cpp, OpenAI, Azure
/// OpenAI's <c>https://NAME.openai.azure.com/openai/v1</c>). Configuration section <c>Generation:OpenAI</c>.
/// </summary>
public sealed class LlmBackendOptions
{
    public const string Section = "Generation:OpenAI";

    public string? BaseUrl { get; set; }
    public string Model { get; set; } = "";
    public string? ApiKey { get; set; }
    public double Temperature { get; set; } = 0.8;
    public double TopP { get; set; } = 0.95;
    public int MaxTokens { get; set; } = 512;
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The server accepts <c>image_url</c> parts: weakened-image answers can come from it (vLLM, Ollama with a VLM).</summary>
    public bool Vision { get; set; }

    /// <summary>At most this many calls in flight from this instance.</summary>
    public int MaxConcurrency { get; set; } = 4;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(BaseUrl) && !string.IsNullOrWhiteSpace(Model);
}
