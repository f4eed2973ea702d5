using BpoStudio.Core.Benchmarks;
using BpoStudio.Core;
using BpoStudio.Core.Data;

namespace BpoStudio.Cli;

/// <summary>The same executable as the web app, run with a verb: <c>BpoStudio migrate</c>, <c>BpoStudio users add ...</c>.</summary>
public static class CliApp
{
    public static readonly IReadOnlyList<ICliVerb> Verbs = [new MigrateVerb(), new UsersVerb(), new SeedDemoVerb(), new ImportVerb(), new GenerateVerb(), new ExportVerb(), new ReviewVerb(), new BackupVerb(), new RestoreVerb(), new TokensVerb(), new DatasetsVerb(), new VersionsVerb(), new JobsVerb(), new SpotCheckVerb(), new JudgeVerb(), new BenchVerb()];

    private static readonly string[] HelpWords = ["help", "--help", "-h", "-?"];

    /// <summary>Anything but configuration arguments (<c>--Key value</c>, <c>--Section:Key=value</c>) is a command: an unknown
    /// word is a mistyped verb, answered with the usage, never a reason to start the web server.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && (HelpWords.Contains(args[0]) || !args[0].StartsWith('-'));

    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null) => RunAsync(args, output, error, services: null);

    /// <param name="services">Added to the verb's services after the app's own: how tests reach inside a run (a database that fills up).</param>
    internal static async Task<int> RunAsync(string[] args, TextWriter? output, TextWriter? error, Action<IServiceCollection>? services)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var verb = Verbs.FirstOrDefault(v => v.Name == args[0]);
        if (verb is null && !HelpWords.Contains(args[0]))
        {
            await error.WriteLineAsync($"error: unknown verb '{args[0]}'. Run with no verb to start the web app, or use one of: {string.Join(", ", Verbs.Select(v => v.Name))} (--help for usage).");
            return 2;
        }
        if (verb is null || args.Skip(1).Any(a => HelpWords.Contains(a)))
        {
            WriteHelp(output, verb);
            return 0;
        }

        try
        {
            var parsed = CliArguments.Parse(args[1..], verb.Flags);
            var builder = CreateHostBuilder([.. parsed.ConfigurationArgs]);
            services?.Invoke(builder.Services);
            using var host = builder.Build();
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            if (verb.UsesDatabase && verb is not MigrateVerb)
                await host.Services.GetRequiredService<DatabaseInitializer>().MigrateAsync(cts.Token);
            return await verb.RunAsync(host.Services, parsed, output, cts.Token);
        }
        catch (CliUsageException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}. Usage: BpoStudio {verb.Usage}");
            return 2;
        }
        catch (Exception ex) when (ex is CliFailureException or IOException || DomainErrors.IsRefusal(ex))
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (DiskFull(ex) is { } full)
        {
            await error.WriteLineAsync($"error: {DiskFullMessage(full.Message)}");
            return 1;
        }
    }

    // What was committed is intact (each batch is a transaction); the rest needs room.
    internal static string DiskFullMessage(string cause) =>
        $"the disk holding the data is full ({cause.TrimEnd('.')}). Free space there and run the command again; whatever was committed before is intact.";

    internal static bool IsDiskFull(string? message) => message?.Contains("database or disk is full", StringComparison.OrdinalIgnoreCase) == true;

    private static Microsoft.Data.Sqlite.SqliteException? DiskFull(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 13 } full) return full; // SQLITE_FULL
        return null;
    }

    /// <summary>The Core services without the web host; logs go to stderr so a verb's stdout stays machine-readable.</summary>
    public static HostApplicationBuilder CreateHostBuilder(string[] configurationArgs)
    {
        var builder = Host.CreateApplicationBuilder(configurationArgs);
        builder.Configuration.AddInMemoryCollection([new("Logging:LogLevel:Default", "Warning"), new("Logging:LogLevel:Microsoft", "Warning")]);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddBpoStudioCore();
        builder.Services.AddBenchmarks();
        return builder;
    }

    private static void WriteHelp(TextWriter output, ICliVerb? verb)
    {
        if (verb is not null)
        {
            output.WriteLine($"BpoStudio {verb.Usage}\n  {verb.Summary}");
            return;
        }
        output.WriteLine("BpoStudio: run with no verb to start the web app, or with one of these verbs:");
        foreach (var v in Verbs) output.WriteLine($"  {v.Usage,-60} {v.Summary}");
        output.WriteLine();
        output.WriteLine("Every verb accepts configuration overrides, e.g. --BpoStudio:DataDirectory=/path.");
        output.WriteLine("Exit codes: 0 success, 1 failure (one-line reason on stderr), 2 wrong usage.");
    }
}
