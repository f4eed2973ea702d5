using BpoStudio.Cli;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BpoStudio.Tests.Bootstrapping;

/// <summary>Each feature checks its options when the host starts, naming the setting, instead of failing at first use.</summary>
public class FeatureOptionsTests
{
    [Theory]
    [InlineData("Generation:OpenAI:MaxConcurrency", "0", "Generation:OpenAI:MaxAttempts must be 1 to 10 and MaxConcurrency 1 to 256.")]
    [InlineData("Generation:OpenAI:BaseUrl", "localhost:8000/v1", "Generation:OpenAI:BaseUrl must be an http(s) address.")]
    [InlineData("Generation:Local:Threads", "-1", "Generation:Local:Threads must be 0 (all cores) to 1024 and BatchSize 0 (automatic) to 256.")]
    [InlineData("Jobs:LeaseSeconds", "0", "Jobs:LeaseSeconds must be between 1 and 3600.")]
    public async Task ABadSetting_StopsTheStart_NamingIt(string key, string value, string message)
    {
        using var folder = new TestDataFolder();
        using var host = CliApp.CreateHostBuilder([$"--BpoStudio:DataDirectory={folder.Path}", $"--{key}={value}"]).Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task TheDefaults_Start()
    {
        using var folder = new TestDataFolder();
        using var host = CliApp.CreateHostBuilder([$"--BpoStudio:DataDirectory={folder.Path}", "--BpoStudio:SeedDemo=false"]).Build();
        await host.StartAsync();
        await host.StopAsync();
    }
}
