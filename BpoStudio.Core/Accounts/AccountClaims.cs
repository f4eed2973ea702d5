using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace BpoStudio.Core.Accounts;

/// <summary>The signed-in principal: Identity's claims and roles, plus whether the user must change the password first.</summary>
public sealed class AccountClaims(UserManager<AppUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AppUser, IdentityRole>(users, roles, options)
{
    public const string MustChangePassword = "bpo:must-change-password";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AppUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.MustChangePassword) identity.AddClaim(new Claim(MustChangePassword, "true"));
        return identity;
    }
}

public static class AccountClaimsExtensions
{
    public static bool MustChangePassword(this ClaimsPrincipal principal) => principal.HasClaim(AccountClaims.MustChangePassword, "true");
}
