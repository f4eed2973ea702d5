using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BpoStudio.Core.Export;

/// <summary>
/// Starts writing a just-appended range of a file to disk without waiting for it (Linux <c>sync_file_range</c>), so a
/// large export does not leave hundreds of megabytes dirty for its final flush to write while nothing else runs. A hint
/// only: elsewhere, or on a file system that refuses it, the final flush does all the work as before.
/// </summary>
internal static partial class Writeback
{
    private const uint SyncFileRangeWrite = 2;
    private static bool _unsupported = !OperatingSystem.IsLinux();

    /// <summary>False when the hint was not taken: the caller need not ask again for this file.</summary>
    public static bool Start(SafeFileHandle file, long offset, long count)
    {
        if (_unsupported) return false;
        if (count <= 0) return true;
        try
        {
            return sync_file_range((int)file.DangerousGetHandle(), offset, count, SyncFileRangeWrite) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unsupported = true; // a C library without it: no file will take it
            return false;
        }
    }

    [LibraryImport("libc")]
    private static partial int sync_file_range(int fd, long offset, long count, uint flags);
}
