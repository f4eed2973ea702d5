namespace BpoStudio.Core.Accounts;

/// <summary>What a personal access token may do, on top of its user's roles: each scope includes the ones before it.</summary>
public enum TokenScope
{
    /// <summary>Read datasets, pairs, decisions, jobs and exports.</summary>
    Read,

    /// <summary>Also push images and records, start generation and checks (as the user's roles allow).</summary>
    Write,

    /// <summary>Also a lead's work: bulk actions, spot checks, approving versions, exports.</summary>
    Lead,
}

/// <summary>
/// A personal access token for programs (<c>Authorization: Bearer bpo_...</c>). Only its SHA-256 is stored; the token
/// itself is shown once. It acts as its user, narrowed by <see cref="Scope"/>, until it expires or is revoked.
/// </summary>
public class ApiToken
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }
    public TokenScope Scope { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole token.</summary>
    public required string Hash { get; set; }

    /// <summary>The token's first characters, so its owner can tell tokens apart.</summary>
    public required string Prefix { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
}
