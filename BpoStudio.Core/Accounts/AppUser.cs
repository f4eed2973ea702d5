using Microsoft.AspNetCore.Identity;

namespace BpoStudio.Core.Accounts;

public class AppUser : IdentityUser
{
    public string? DisplayName { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>Set for a generated first-admin password and an admin's reset: every page asks for a new password until it is changed.</summary>
    public bool MustChangePassword { get; set; }
}

public static class Roles
{
    public const string Admin = "Admin";
    public const string Lead = "Lead";
    public const string Annotator = "Annotator";

    public static readonly IReadOnlyList<string> All = [Admin, Lead, Annotator];
}

/// <summary>Authorisation policy names; a lead may do what an annotator may, an admin what a lead may.</summary>
public static class Policies
{
    public const string Review = "Review";
    public const string Lead = "Lead";
    public const string Admin = "Admin";
}
