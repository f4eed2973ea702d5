using System.Runtime.InteropServices;

namespace BpoStudio.Core.Benchmarks;

/// <summary>Asks the OS to write every dirty page out and waits for it, so a timed write does not pay for earlier ones.</summary>
internal static partial class DiskSync
{
    public static void FlushAll()
    {
        if (OperatingSystem.IsWindows()) return; // flushing a whole volume needs administrator rights there
        try
        {
            sync();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Without sync(2) the rounds are only as settled as the OS leaves them.
        }
    }

    [LibraryImport("libc")]
    private static partial void sync();
}
