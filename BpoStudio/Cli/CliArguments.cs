namespace BpoStudio.Cli;

/// <summary>A verb's words: positionals, <c>--name value</c> options (repeatable) and <c>--flag</c>s.
/// Configuration overrides (<c>--Section:Key=value</c>) are split off for the host.</summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _flags = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Positionals { get; } = [];
    public List<string> ConfigurationArgs { get; } = [];

    public static CliArguments Parse(IReadOnlyList<string> args, IReadOnlySet<string> flagNames)
    {
        var parsed = new CliArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                parsed.Positionals.Add(arg);
                continue;
            }
            var body = arg[2..];
            var eq = body.IndexOf('=');
            var name = eq >= 0 ? body[..eq] : body;
            if (name.Contains(':'))
            {
                parsed.ConfigurationArgs.Add(arg);
                if (eq < 0 && i + 1 < args.Count) parsed.ConfigurationArgs.Add(args[++i]);
                continue;
            }
            if (eq >= 0) parsed.Add(name, body[(eq + 1)..]);
            else if (flagNames.Contains(name)) parsed._flags.Add(name);
            else if (i + 1 < args.Count) parsed.Add(name, args[++i]);
            else throw new CliUsageException($"option --{name} needs a value");
        }
        return parsed;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Option(string name) => _options.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> Options(string name) => _options.TryGetValue(name, out var values) ? values : [];

    public string Required(string name) => Option(name) ?? throw new CliUsageException($"--{name} is required");

    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new CliUsageException($"missing {what}");

    private void Add(string name, string value)
    {
        if (!_options.TryGetValue(name, out var values)) _options[name] = values = [];
        values.Add(value);
    }
}

/// <summary>The command line was wrong; exit code 2 with the message.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>The verb could not do its work; exit code 1 with the message.</summary>
public sealed class CliFailureException(string message) : Exception(message);
