namespace BpoStudio.Cli;

public interface ICliVerb
{
    string Name { get; }
    string Usage { get; }
    string Summary { get; }
    IReadOnlySet<string> Flags => new HashSet<string>();

    Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct);
}
