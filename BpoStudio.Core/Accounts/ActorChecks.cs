using System.Security.Claims;

namespace BpoStudio.Core.Accounts;

/// <summary>Server-side role checks for services, so an action is refused whatever page or endpoint calls it.</summary>
public static class ActorChecks
{
    /// <summary>Whoever runs the CLI on the server: it has the database in hand already, so it acts as an admin.</summary>
    public static readonly ClaimsPrincipal CommandLine = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "cli"), new Claim(ClaimTypes.Name, "cli"), new Claim(ClaimTypes.Role, Roles.Admin)], "cli"));

    /// <summary>Whether the caller is the CLI on the server (it reads the server's disk already, so no folder is off limits to it).</summary>
    public static bool IsCommandLine(this ClaimsPrincipal actor) => actor.Identity?.AuthenticationType == "cli" && actor.IsInRole(Roles.Admin);

    /// <summary>A background job acting for the user who started it, in the role that was checked when it started.</summary>
    public static ClaimsPrincipal OnBehalfOf(string? name, string role) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, name ?? "job"), new Claim(ClaimTypes.Name, name ?? "job"), new Claim(ClaimTypes.Role, role)], "job"));

    public static void RequireLead(this ClaimsPrincipal actor, string toDo)
    {
        if (!actor.IsLead()) throw new ForbiddenError($"Only a lead or an admin can {toDo}.");
    }

    public static void RequireAdmin(this ClaimsPrincipal actor, string toDo)
    {
        if (!actor.IsInRole(Roles.Admin)) throw new ForbiddenError($"Only an admin can {toDo}.");
    }

    public static void RequireReviewer(this ClaimsPrincipal actor, string toDo)
    {
        if (actor.Identity?.IsAuthenticated != true) throw new ForbiddenError($"Sign in to {toDo}.");
        if (!actor.IsInRole(Roles.Annotator) && !actor.IsLead()) throw new ForbiddenError($"Only annotators, leads and admins can {toDo}.");
    }

    /// <summary>The account id, for records that must survive a change of name.</summary>
    public static string UserId(this ClaimsPrincipal actor) =>
        actor.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new ForbiddenError("The signed-in principal has no user id.");

    public static bool IsLead(this ClaimsPrincipal actor) => actor.IsInRole(Roles.Lead) || actor.IsInRole(Roles.Admin);

    public static string DisplayName(this ClaimsPrincipal actor) => actor.Identity?.Name ?? "unknown";
}
