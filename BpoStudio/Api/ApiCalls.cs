using BpoStudio.Core;
using BpoStudio.Core.Audit;

namespace BpoStudio.Api;

/// <summary>
/// Every API call: refusals become ProblemDetails with their status (and where, when the input says), anything else is a
/// defect, logged and answered 500; each call is audited with its token's id.
/// </summary>
public sealed class ApiCalls(AuditLog audit, ILogger<ApiCalls> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        object? result;
        int status;
        try
        {
            result = await next(context);
            status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        }
        catch (Exception ex) when (DomainErrors.IsRefusal(ex))
        {
            status = DomainErrors.StatusCode(ex);
            var extensions = ex is InvalidInputError { Where: { } where } ? new Dictionary<string, object?> { ["where"] = where } : null;
            result = Results.Problem(detail: ex.Message, statusCode: status, extensions: extensions);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "API call {Method} {Path} failed", http.Request.Method, http.Request.Path);
            status = StatusCodes.Status500InternalServerError;
            result = Results.Problem(detail: "The server failed on this call; it has been logged.", statusCode: status);
        }
        var token = http.User.FindFirst(ApiTokenAuthentication.TokenIdClaim)?.Value;
        await audit.WriteAsync(http.User.Identity?.Name, Core.Accounts.AccountAudit.ApiCall, $"token {token}", $"{http.Request.Method} {http.Request.Path}{http.Request.QueryString} -> {status}", CancellationToken.None);
        return result;
    }
}
