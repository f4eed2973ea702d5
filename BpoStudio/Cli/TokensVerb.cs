using System.Text.Json;
using BpoStudio.Core.Accounts;

namespace BpoStudio.Cli;

internal sealed class TokensVerb : ICliVerb
{
    public string Name => "tokens";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json" };
    public string Usage => "tokens create <email> --scope read|write|lead [--name <what for>] [--expires <days>] [--json] | tokens list [--json] | tokens revoke <id>";
    public string Summary => "Make, list or revoke personal access tokens for the HTTP API; a new token is printed once (only its hash is kept).";

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var tokens = services.GetRequiredService<ApiTokenService>();
        var json = args.Flag("json");
        switch (args.Positional(0, "a sub-command (create, list or revoke)"))
        {
            case "create":
                var email = args.Positional(1, "the user's email");
                var scope = ApiTokenService.ParseScope(args.Option("scope") ?? throw new CliUsageException("--scope is required (read, write or lead)"));
                int? days = args.Option("expires") is { } text ? int.TryParse(text, out var d) ? d : throw new CliUsageException($"--expires takes a number of days, not '{text}'") : null;
                var made = await tokens.CreateAsync(ActorChecks.CommandLine, email, args.Option("name") ?? "command line", scope, days, ct);
                if (json) await output.WriteLineAsync(JsonSerializer.Serialize(new { token = made.Secret, id = made.Token.Id, scope = scope.ToString().ToLowerInvariant(), expiresAt = made.Token.ExpiresAt }));
                else
                {
                    await output.WriteLineAsync($"Token {made.Token.Id} for {made.Token.UserEmail} ({scope.ToString().ToLowerInvariant()}{(made.Token.ExpiresAt is { } at ? $", expires {at:u}" : ", no expiry")}), shown once:");
                    await output.WriteLineAsync(made.Secret);
                }
                return 0;
            case "list":
                var all = await tokens.ListAsync(ActorChecks.CommandLine, ct);
                if (json) await output.WriteLineAsync(JsonSerializer.Serialize(all, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
                else
                    foreach (var t in all)
                        await output.WriteLineAsync($"{t.Id}\t{t.UserEmail}\t{t.Scope.ToString().ToLowerInvariant()}\t{t.Prefix}…\t{t.Name}\t" +
                            $"{(t.RevokedAt is not null ? "revoked" : t.ExpiresAt < DateTime.UtcNow ? "expired" : "active")}\tlast used {(t.LastUsedAt is { } used ? used.ToString("u") : "never")}");
                return 0;
            case "revoke":
                var id = long.TryParse(args.Positional(1, "the token's id"), out var parsed) ? parsed : throw new CliUsageException("the token's id is a number (see tokens list)");
                await tokens.RevokeAsync(ActorChecks.CommandLine, id, ct);
                await output.WriteLineAsync($"Revoked token {id}; calls with it fail from now on.");
                return 0;
            default:
                throw new CliUsageException($"unknown sub-command '{args.Positionals[0]}'");
        }
    }
}
