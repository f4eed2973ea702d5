using System.Security.Claims;
using System.Text.Encodings.Web;
using BpoStudio.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace BpoStudio.Api;

/// <summary>
/// <c>Authorization: Bearer bpo_...</c> on <c>/api</c>: the token's user with the user's roles as they are now (admin only
/// under lead scope) and the token's id and scope as claims. Checked on every call, so a revoked token fails at once.
/// </summary>
public sealed class ApiTokenAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    public const string TokenIdClaim = "bpo:token";
    public const string ScopeClaim = "bpo:scope";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var identity = await tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (identity is null) return AuthenticateResult.Fail("The token is unknown, revoked or expired, or its user is locked out.");
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, identity.UserId), new(ClaimTypes.Name, identity.UserName),
            new(TokenIdClaim, identity.TokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)), new(ScopeClaim, identity.Scope.ToString()),
        };
        claims.AddRange(identity.Roles.Where(r => r != Roles.Admin || identity.Scope == TokenScope.Lead).Select(r => new Claim(ClaimTypes.Role, r)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status401Unauthorized, "Send a personal access token: Authorization: Bearer bpo_... (make one on your account page or with `tokens create`).");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "This token's scope does not allow this call.");

    private Task WriteProblemAsync(int status, string detail)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(detail: detail, statusCode: status).ExecuteAsync(Context);
    }
}

public static class ApiScopes
{
    public const string Read = "api:read";
    public const string Write = "api:write";
    public const string Lead = "api:lead";

    public static TokenScope? Of(ClaimsPrincipal user) =>
        Enum.TryParse<TokenScope>(user.FindFirstValue(ApiTokenAuthentication.ScopeClaim), out var scope) ? scope : null;

    /// <summary>Policies that take only tokens (never the cookie) and need at least the given scope.</summary>
    public static Microsoft.AspNetCore.Authorization.AuthorizationBuilder AddApiScopes(this Microsoft.AspNetCore.Authorization.AuthorizationBuilder builder) => builder
        .AddPolicy(Read, Policy(TokenScope.Read)).AddPolicy(Write, Policy(TokenScope.Write)).AddPolicy(Lead, Policy(TokenScope.Lead));

    private static Action<Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder> Policy(TokenScope least) => policy => policy
        .AddAuthenticationSchemes(ApiTokenAuthentication.SchemeName).RequireAuthenticatedUser()
        .RequireAssertion(context => Of(context.User) >= least);
}
