namespace BpoStudio.Core.Storage;

/// <summary>
/// Resolves user-supplied paths under an allowed root and refuses anything that would escape it. Every component is
/// resolved, not only the last: a link to a folder outside the root part-way down the path escapes as surely as a
/// linked file does.
/// </summary>
public static class SafePath
{
    // Linux gives up after 40 links in one lookup (ELOOP); so do we.
    private const int MaxLinks = 40;

    public static bool TryResolve(string root, string relativePath, out string fullPath, out string? problem, string what = "image path")
    {
        fullPath = "";
        problem = null;
        if (string.IsNullOrWhiteSpace(relativePath))
        {
            problem = $"{what} is empty";
            return false;
        }
        if (relativePath.Contains('\0'))
        {
            problem = $"{what} contains a NUL character";
            return false;
        }
        if (Path.IsPathRooted(relativePath) || relativePath.StartsWith('/') || relativePath.StartsWith('\\') ||
            (relativePath.Length >= 2 && relativePath[1] == ':'))
        {
            problem = $"absolute {what} '{relativePath}' is not allowed; paths must be relative to the {RootName(what)}";
            return false;
        }

        var rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var candidate = Path.GetFullPath(Path.Combine(rootFull, relativePath.Replace('\\', '/')));
        if (!IsTextuallyUnder(rootFull, candidate))
        {
            problem = $"{what} '{relativePath}' points outside the {RootName(what)}";
            return false;
        }
        if (!IsUnder(rootFull, candidate))
        {
            problem = $"{what} '{relativePath}' goes through a link to outside the {RootName(what)}";
            return false;
        }

        fullPath = candidate;
        return true;
    }

    private static string RootName(string what) => what == "image path" ? "image root" : "allowed folder";

    /// <summary>Whether <paramref name="candidate"/>, with every link on its way followed, lies inside the (also resolved) root.</summary>
    public static bool IsUnder(string root, string candidate)
    {
        var realRoot = RealPath(root);
        var realCandidate = RealPath(candidate);
        return realRoot is not null && realCandidate is not null && IsTextuallyUnder(realRoot, realCandidate);
    }

    private static bool IsTextuallyUnder(string root, string candidate)
    {
        var rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return Path.GetFullPath(candidate).StartsWith(rootFull + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// The path with every symbolic link replaced by its target, component by component (what realpath(3) does, but
    /// also for paths whose tail does not exist yet). Null for a loop or more links than the OS would follow.
    /// </summary>
    public static string? RealPath(string path)
    {
        var links = 0;
        return Resolve(Path.GetFullPath(path), ref links);
    }

    private static string? Resolve(string full, ref int links)
    {
        var current = Path.GetPathRoot(full)!;
        var parts = full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (IOException)
            {
                target = null;
            }
            catch (UnauthorizedAccessException)
            {
                target = null;
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) return null;
            var absolute = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
            var resolved = Resolve(absolute, ref links);
            if (resolved is null) return null;
            current = resolved;
        }
        return current;
    }
}
