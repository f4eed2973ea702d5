using BpoStudio.Core;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets.Demo;

namespace BpoStudio.Cli;

internal sealed class MigrateVerb : ICliVerb
{
    public string Name => "migrate";
    public string Usage => "migrate";
    public string Summary => "Create or upgrade the database schema in the data folder.";

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        await services.GetRequiredService<DatabaseInitializer>().MigrateAsync(ct);
        await output.WriteLineAsync($"Database is up to date in {services.GetRequiredService<DataPaths>().Root}");
        return 0;
    }
}

internal sealed class SeedDemoVerb : ICliVerb
{
    public string Name => "seed-demo";
    public string Usage => "seed-demo";
    public string Summary => "Add the demo dataset (drawn scenes with known answers) if it is not there.";

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var added = await services.GetRequiredService<DemoSeeder>().SeedAsync(ct);
        await output.WriteLineAsync(added ? $"Seeded '{DemoSeeder.DatasetName}'." : $"'{DemoSeeder.DatasetName}' already exists; nothing to do.");
        return 0;
    }
}

internal sealed class UsersVerb : ICliVerb
{
    public string Name => "users";
    public string Usage => "users add <email> --role <Admin|Lead|Annotator> [--role ...] [--password <p>] | users list";
    public string Summary => "Add a user (a password is generated and printed when none is given) or list users.";

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AdminBootstrapper>().EnsureAdminAsync();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        switch (args.Positional(0, "a sub-command (add or list)"))
        {
            case "add":
                var email = args.Positional(1, "the user's email");
                var roles = args.Options("role");
                if (roles.Count == 0) throw new CliUsageException("at least one --role is required");
                var password = args.Option("password");
                var generated = password is null;
                password ??= AdminBootstrapper.GeneratePassword();
                var user = await admin.CreateAsync(email, password, roles, ActorChecks.CommandLine);
                await output.WriteLineAsync($"Added {user.Email} ({string.Join(", ", user.Roles)}).");
                if (generated) await output.WriteLineAsync($"Password (shown once): {password}");
                return 0;
            case "list":
                foreach (var u in await admin.ListAsync(ct))
                    await output.WriteLineAsync($"{u.Email}\t{string.Join(",", u.Roles)}\t{(u.LockedOut ? "locked" : "active")}");
                return 0;
            default:
                throw new CliUsageException($"unknown sub-command '{args.Positionals[0]}'");
        }
    }
}
