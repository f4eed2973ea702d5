namespace BpoStudio.Core.Storage;

/// <summary>
/// A record may name an image the store already holds as <c>sha256:&lt;hex&gt;</c> (pushed beforehand through the API),
/// so a pipeline sends each image's bytes once however many records use it.
/// </summary>
public static class StoredImageReference
{
    public const string Prefix = "sha256:";

    public static bool TryParse(string path, out string hash)
    {
        hash = "";
        if (!path.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var hex = path[Prefix.Length..].Trim().ToLowerInvariant();
        if (!IsSha256Hex(hex)) return false;
        hash = hex;
        return true;
    }

    public static bool IsSha256Hex(string hex) => hex.Length == 64 && hex.All(char.IsAsciiHexDigitLower);
}
