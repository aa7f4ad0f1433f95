using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Flowkit.Api.Problems;

/// <summary>
/// Turns exceptions into problem details: a request the framework could not read (malformed JSON, a query value of
/// the wrong type, a body too large) answers with its own 4xx status and says what was wrong; anything else is a
/// 500 that says only that it happened and its trace id. Stack traces and exception messages never leave the
/// process; the exception handler middleware logs them.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody is left to answer.
            httpContext.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            return true;
        }

        var problem = exception is BadHttpRequestException bad ? BadRequest(bad) : Internal();
        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem });
    }

    internal static ProblemDetails BadRequest(BadHttpRequestException exception) => new()
    {
        Type = ProblemTypeMap.ForStatus(exception.StatusCode) ?? ProblemTypes.BadRequest,
        Title = "Bad request.",
        Status = exception.StatusCode,
        Detail = exception.InnerException is JsonException json
            ? $"The request body is not valid JSON: {json.Message}"
            : exception.Message,
    };

    internal static ProblemDetails Internal() => new()
    {
        Type = ProblemTypes.Internal,
        Title = "Internal error.",
        Status = StatusCodes.Status500InternalServerError,
        Detail = "An unexpected error occurred on the server. Try again; if it keeps failing, report the traceId of this answer.",
    };
}

/// <summary>
/// Flowkit's problem types for answers the framework writes itself (a route that does not exist, a method not
/// allowed, an empty status answer), so every problem a client sees carries a Flowkit <c>type</c>.
/// </summary>
internal static class ProblemTypeMap
{
    public static string? ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ProblemTypes.BadRequest,
        StatusCodes.Status401Unauthorized => ProblemTypes.Unauthorized,
        StatusCodes.Status403Forbidden => ProblemTypes.Forbidden,
        StatusCodes.Status404NotFound => ProblemTypes.NotFound,
        StatusCodes.Status409Conflict => ProblemTypes.Conflict,
        StatusCodes.Status410Gone => ProblemTypes.Gone,
        StatusCodes.Status415UnsupportedMediaType => ProblemTypes.UnsupportedMediaType,
        StatusCodes.Status422UnprocessableEntity => ProblemTypes.Validation,
        StatusCodes.Status500InternalServerError => ProblemTypes.Internal,
        _ => null,
    };

    /// <summary>Gives framework-written problems (whose type is the RFC's section link, or none) a Flowkit type.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Status is { } status
            && (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            && ForStatus(status) is { } type)
        {
            problem.Type = type;
        }
    }
}
