namespace BpoStudio.Cli;

public interface ICliVerb
{
    string Name { get; }
    string Usage { get; }
    string Summary { get; }
    IReadOnlySet<string> Flags => new HashSet<string>();

    /// <summary>Whether the verb works on the configured database (migrated before it runs).</summary>
    bool UsesDatabase => true;

    Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct);
}
