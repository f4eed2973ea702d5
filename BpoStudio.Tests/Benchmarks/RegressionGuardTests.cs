using BpoStudio.Core.Benchmarks;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Benchmarks;

public class RegressionGuardTests
{
    private static readonly Dictionary<string, double> Expected = new() { ["import"] = 0.14, ["export"] = 0.10 };

    [Theory]
    [InlineData(0.14, false)]
    [InlineData(0.106, false)] // 24 % slower relative to parsing: within the tolerance
    [InlineData(0.046, true)]  // three times slower, as the import once became unnoticed
    public void AHigherIsBetterRatio_RegressesWhenItFallsMoreThanAQuarter(double measured, bool regressed) =>
        Assert.Equal(regressed, Assert.Single(RegressionGuard.Compare([new("import", measured, true, "")], Expected)).Regressed);

    [Theory]
    [InlineData(0.12, false)]
    [InlineData(0.13, true)]
    public void ALowerIsBetterRatio_RegressesWhenItRisesMoreThanAQuarter(double measured, bool regressed) =>
        Assert.Equal(regressed, Assert.Single(RegressionGuard.Compare([new("export", measured, false, "")], Expected)).Regressed);

    [Fact]
    public async Task ANewRatio_HasNoExpectation_AndTheFileRoundTrips()
    {
        var check = Assert.Single(RegressionGuard.Compare([new("new", 1.0, true, "")], Expected));
        Assert.Equal((null, false), (check.Expected, check.Regressed));

        using var folder = new TestDataFolder();
        var path = folder.File("bench/expected.json");
        await RegressionGuard.WriteAsync(path, [new("import", 0.13654, true, "")], CancellationToken.None);
        Assert.Equal(0.1365, (await RegressionGuard.ReadAsync(path, CancellationToken.None))["import"]);
        await Assert.ThrowsAsync<FileNotFoundException>(() => RegressionGuard.ReadAsync(folder.File("none.json"), CancellationToken.None));
    }
}
