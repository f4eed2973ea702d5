using System.Security.Cryptography;
using BpoStudio.Core.Export;

namespace BpoStudio.Tests.Export;

public sealed class WritebackTests
{
    [Fact]
    public async Task StartingWriteback_IsTakenOnLinux_AndLeavesTheBytesAsWritten()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bpostudio-writeback-{Guid.NewGuid():N}.bin");
        try
        {
            var bytes = RandomNumberGenerator.GetBytes(3 << 20);
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                // A wrong signature or wrong flags would quietly switch the hint off: on Linux it must be taken.
                await file.WriteAsync(bytes.AsMemory(0, 1 << 20));
                Assert.Equal(OperatingSystem.IsLinux(), Writeback.Start(file.SafeFileHandle, 0, 1 << 20));
                await file.WriteAsync(bytes.AsMemory(1 << 20));
                Assert.Equal(OperatingSystem.IsLinux(), Writeback.Start(file.SafeFileHandle, 1 << 20, bytes.Length - (1 << 20)));
                file.Flush(flushToDisk: true);
            }

            Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
