namespace BpoStudio.Core.Storage;

/// <summary>Resolves user-supplied paths under an allowed root and refuses anything that would escape it.</summary>
public static class SafePath
{
    public static bool TryResolve(string root, string relativePath, out string fullPath, out string? problem)
    {
        fullPath = "";
        problem = null;
        if (string.IsNullOrWhiteSpace(relativePath))
        {
            problem = "image path is empty";
            return false;
        }
        if (relativePath.Contains('\0'))
        {
            problem = "image path contains a NUL character";
            return false;
        }
        if (Path.IsPathRooted(relativePath) || relativePath.StartsWith('/') || relativePath.StartsWith('\\') ||
            (relativePath.Length >= 2 && relativePath[1] == ':'))
        {
            problem = $"absolute image path '{relativePath}' is not allowed; paths must be relative to the image root";
            return false;
        }

        var rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var candidate = Path.GetFullPath(Path.Combine(rootFull, relativePath.Replace('\\', '/')));
        if (!IsUnder(rootFull, candidate))
        {
            problem = $"image path '{relativePath}' points outside the image root";
            return false;
        }

        // A symbolic link inside the root may still point outside it.
        var target = ResolveLinks(candidate);
        if (target is not null && !IsUnder(rootFull, target))
        {
            problem = $"image path '{relativePath}' is a link to outside the image root";
            return false;
        }

        fullPath = candidate;
        return true;
    }

    public static bool IsUnder(string root, string candidate)
    {
        var rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var full = Path.GetFullPath(candidate);
        return full.StartsWith(rootFull + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    private static string? ResolveLinks(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            var resolved = info.ResolveLinkTarget(returnFinalTarget: true);
            return resolved?.FullName;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
