using System.Security.Claims;
using BpoStudio.Core.Accounts;

namespace BpoStudio.Tests.Infrastructure;

public static class TestPrincipals
{
    public static readonly ClaimsPrincipal Lead = Of("lead@example.test", Roles.Lead);
    public static readonly ClaimsPrincipal Annotator = Of("ann@example.test", Roles.Annotator);
    public static readonly ClaimsPrincipal Admin = Of("admin@example.test", Roles.Admin);

    /// <summary>A reviewer whose account id and name differ, as they do for real users.</summary>
    public static ClaimsPrincipal Reviewer(string id, string name, string role = Roles.Annotator) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    public static ClaimsPrincipal Of(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, name), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));
}
