namespace BpoStudio.Core.Injection;

public static class ModelFreeInjection
{
    /// <summary>The provenance method name of model-free negatives.</summary>
    public const string Method = "model-free-injection";
}
