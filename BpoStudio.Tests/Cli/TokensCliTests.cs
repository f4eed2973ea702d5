using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Accounts;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Cli;

public class TokensCliTests
{
    [Fact]
    public async Task CreateListRevoke_PrintsTheTokenOnce_AndRefusesBadInput()
    {
        using var data = new TestDataFolder();
        string[] Args(params string[] args) => [.. args, $"--BpoStudio:DataDirectory={data.Path}", "--BpoStudio:SeedDemo=false"];
        Assert.Equal(0, await CliApp.RunAsync(Args("users", "add", "pipe@example.test", "--role", "Lead", "--password", "Test-User-Pass-1"), TextWriter.Null, TextWriter.Null));

        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(Args("tokens", "create", "pipe@example.test", "--scope", "write", "--expires", "30", "--json"), output, TextWriter.Null));
        using var created = JsonDocument.Parse(output.ToString());
        var secret = created.RootElement.GetProperty("token").GetString()!;
        Assert.StartsWith(ApiTokenService.SecretPrefix, secret);

        var list = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(Args("tokens", "list"), list, TextWriter.Null));
        Assert.Contains("pipe@example.test\twrite", list.ToString());
        Assert.DoesNotContain(secret, list.ToString());

        var error = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(Args("tokens", "create", "nobody@example.test", "--scope", "read"), TextWriter.Null, error));
        Assert.Contains("There is no user 'nobody@example.test'", error.ToString());
        Assert.Equal(1, await CliApp.RunAsync(Args("tokens", "create", "pipe@example.test", "--scope", "everything"), TextWriter.Null, error));
        Assert.Contains("Unknown scope 'everything'", error.ToString());
        Assert.Equal(2, await CliApp.RunAsync(Args("tokens", "create", "pipe@example.test"), TextWriter.Null, error));

        var id = created.RootElement.GetProperty("id").GetInt64().ToString();
        Assert.Equal(0, await CliApp.RunAsync(Args("tokens", "revoke", id), TextWriter.Null, TextWriter.Null));
        Assert.Equal(1, await CliApp.RunAsync(Args("tokens", "revoke", id), TextWriter.Null, error));
        Assert.Contains("already revoked", error.ToString());
    }
}
