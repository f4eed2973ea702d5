namespace BpoStudio.Core;

// The few ways an operation refuses, whatever the host: the API answers each with its status and ProblemDetails, a page
// with its message, the CLI with exit 1. They derive from the built-in types callers caught before, so nothing that
// caught those changes; anything else escaping a service is a defect and is logged as one.

/// <summary>What the caller named does not exist (404).</summary>
public sealed class NotFoundError(string message) : KeyNotFoundException(message);

/// <summary>The caller's role or token scope does not allow it (403).</summary>
public sealed class ForbiddenError(string message) : UnauthorizedAccessException(message);

/// <summary>The data's state does not allow it now: already decided, still running, nothing to do (409).</summary>
public class ConflictError(string message) : InvalidOperationException(message);

/// <summary>The input is wrong; <see cref="Where"/> says where when it is one field, line or record (400).</summary>
public class InvalidInputError(string message, string? where = null) : ArgumentException(message)
{
    public string? Where { get; } = where;
}

/// <summary>More than one call may carry (413).</summary>
public sealed class TooLargeError(string message) : InvalidInputError(message);

/// <summary>Well-formed input whose content contradicts itself, as bytes that do not match the hash they were sent under (422).</summary>
public sealed class ContentMismatchError(string message, string? where = null) : InvalidInputError(message, where);

public static class DomainErrors
{
    /// <summary>
    /// True for a refusal to show the caller; false for a defect to log. A bare InvalidOperationException is how EF and
    /// ADO.NET report broken invariants, so only <see cref="ConflictError"/> counts among those.
    /// </summary>
    public static bool IsRefusal(Exception ex) =>
        ex is ConflictError or KeyNotFoundException or UnauthorizedAccessException || ex is ArgumentException and not ArgumentNullException;

    /// <summary>The status an HTTP host answers a refusal with.</summary>
    public static int StatusCode(Exception ex) => ex switch
    {
        KeyNotFoundException => 404,
        UnauthorizedAccessException => 403,
        ConflictError => 409,
        TooLargeError => 413,
        ContentMismatchError => 422,
        _ => 400,
    };
}
