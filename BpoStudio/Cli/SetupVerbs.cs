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
    public IReadOnlySet<string> Flags => new HashSet<string> { "no-change-required" };
    public string Usage => "users add <email> --role <Admin|Lead|Annotator> [--role ...] [--password <p>] [--no-change-required] | users list | users reset-password <email> [--no-change-required] | users lock <email> | users unlock <email> | users set-role <email> --role <role> [--role ...]";
    public string Summary => "Add, list, lock, unlock or re-role users, or reset a password (generated, printed once); locking, re-roling and resets end the user's sessions.";

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AdminBootstrapper>().EnsureAdminAsync();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        switch (args.Positional(0, "a sub-command (add, list, reset-password, lock, unlock or set-role)"))
        {
            case "add":
                var email = args.Positional(1, "the user's email");
                var roles = args.Options("role");
                if (roles.Count == 0) throw new CliUsageException("at least one --role is required");
                var password = args.Option("password");
                var generated = password is null;
                password ??= AdminBootstrapper.GeneratePassword();
                var user = await admin.CreateAsync(email, password, roles, ActorChecks.CommandLine, mustChangePassword: !args.Flag("no-change-required"));
                await output.WriteLineAsync($"Added {user.Email} ({string.Join(", ", user.Roles)}).");
                if (generated) await output.WriteLineAsync($"Password (shown once): {password}");
                return 0;
            case "list":
                foreach (var u in await admin.ListAsync(ct))
                    await output.WriteLineAsync($"{u.Email}\t{string.Join(",", u.Roles)}\t{(u.LockedOut ? "locked" : "active")}");
                return 0;
            case "reset-password":
                var target = args.Positional(1, "the user's email");
                var mustChange = !args.Flag("no-change-required");
                var reset = await admin.ResetPasswordAsync(await admin.FindIdByEmailAsync(target), ActorChecks.CommandLine, mustChange);
                await output.WriteLineAsync($"New password for {target} (shown once): {reset}");
                if (mustChange) await output.WriteLineAsync("It must be changed at the next sign-in.");
                return 0;
            case "lock" or "unlock":
                var who = args.Positional(1, "the user's email");
                var locking = args.Positionals[0] == "lock";
                await admin.SetLockedAsync(await admin.FindIdByEmailAsync(who), locking, ActorChecks.CommandLine);
                await output.WriteLineAsync(locking ? $"Locked {who}; their sessions ended." : $"Unlocked {who}.");
                return 0;
            case "set-role":
                var member = args.Positional(1, "the user's email");
                var wanted = args.Options("role");
                if (wanted.Count == 0) throw new CliUsageException("at least one --role is required");
                await admin.SetRolesAsync(await admin.FindIdByEmailAsync(member), wanted, ActorChecks.CommandLine);
                await output.WriteLineAsync($"{member} now has {string.Join(", ", wanted)}; their sessions ended.");
                return 0;
            default:
                throw new CliUsageException($"unknown sub-command '{args.Positionals[0]}'");
        }
    }
}
