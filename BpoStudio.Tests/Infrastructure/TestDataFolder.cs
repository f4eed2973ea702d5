namespace BpoStudio.Tests.Infrastructure;

/// <summary>A fresh data folder per test or fixture, removed afterwards.</summary>
public sealed class TestDataFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bpo-tests", Guid.NewGuid().ToString("N"));

    public TestDataFolder() => Directory.CreateDirectory(Path);

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing host; the OS temp cleaner takes it.
        }
    }
}
