namespace BpoStudio.Core;

/// <summary>The <c>BpoStudio</c> configuration section.</summary>
public sealed class BpoStudioOptions
{
    public const string Section = "BpoStudio";

    /// <summary>Holds the database, image store, exports and models. Default: a folder under local application data.</summary>
    public string? DataDirectory { get; set; }

    public AdminBootstrapOptions Admin { get; set; } = new();

    /// <summary>Server folders an admin allows imports to read from; nothing outside them (or the data folder) is read.</summary>
    public List<string> ImportRoots { get; set; } = [];

    public Imaging.ImageLimits Images { get; set; } = new();

    /// <summary>Seed the demo dataset when the database has no datasets.</summary>
    public bool SeedDemo { get; set; } = true;
}

public sealed class AdminBootstrapOptions
{
    public string Email { get; set; } = "admin@bpostudio.local";

    /// <summary>When empty, a random password is generated and printed once to the console.</summary>
    public string? Password { get; set; }
}
