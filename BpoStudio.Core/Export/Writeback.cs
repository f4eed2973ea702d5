using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BpoStudio.Core.Export;

/// <summary>
/// Starts writing a just-appended range of a file to disk without waiting for it (Linux <c>sync_file_range</c>), so a
/// large export does not leave hundreds of megabytes dirty for its final flush to write while nothing else runs. A hint
/// only: elsewhere, or where the file system refuses, the final flush does all the work as before.
/// </summary>
internal static partial class Writeback
{
    private const uint SyncFileRangeWrite = 2;
    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>False where the hint is not available (not Linux, or the call was refused once).</summary>
    public static bool IsActive => !_unavailable;

    public static void Start(SafeFileHandle file, long offset, long count)
    {
        if (_unavailable || count <= 0) return;
        try
        {
            if (sync_file_range((int)file.DangerousGetHandle(), offset, count, SyncFileRangeWrite) != 0) _unavailable = true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [LibraryImport("libc")]
    private static partial int sync_file_range(int fd, long offset, long count, uint flags);
}
