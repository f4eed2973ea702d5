using System.Security.Claims;

namespace BpoStudio.Core.Accounts;

/// <summary>Server-side role checks for services, so an action is refused whatever page or endpoint calls it.</summary>
public static class ActorChecks
{
    public static void RequireLead(this ClaimsPrincipal actor, string toDo)
    {
        if (!actor.IsLead()) throw new UnauthorizedAccessException($"Only a lead or an admin can {toDo}.");
    }

    public static void RequireAdmin(this ClaimsPrincipal actor, string toDo)
    {
        if (!actor.IsInRole(Roles.Admin)) throw new UnauthorizedAccessException($"Only an admin can {toDo}.");
    }

    public static bool IsLead(this ClaimsPrincipal actor) => actor.IsInRole(Roles.Lead) || actor.IsInRole(Roles.Admin);

    public static string DisplayName(this ClaimsPrincipal actor) => actor.Identity?.Name ?? "unknown";
}
