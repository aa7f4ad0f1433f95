using Flowkit.Definitions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Flowkit.Api.Problems;

/// <summary>Builders for the problem details Flowkit answers with.</summary>
internal static class Problems
{
    public static ProblemHttpResult Validation(string detail, IEnumerable<ValidationError> errors) =>
        TypedResults.Problem(new ProblemDetails
        {
            Type = ProblemTypes.Validation,
            Title = "The request is not valid.",
            Status = StatusCodes.Status422UnprocessableEntity,
            Detail = detail,
            Extensions = { ["errors"] = errors.Select(e => new { path = e.Path, message = e.Message }).ToArray() },
        });

    public static ProblemHttpResult Validation(string path, string message) =>
        Validation(message, [new ValidationError(path, message)]);

    public static ProblemHttpResult NotFound(string detail) =>
        Problem(ProblemTypes.NotFound, "Not found.", StatusCodes.Status404NotFound, detail);

    public static ProblemHttpResult Conflict(string detail) =>
        Problem(ProblemTypes.Conflict, "Conflict.", StatusCodes.Status409Conflict, detail);

    public static ProblemHttpResult UnsupportedMediaType(string detail) =>
        Problem(ProblemTypes.UnsupportedMediaType, "Unsupported media type.", StatusCodes.Status415UnsupportedMediaType, detail);

    public static ProblemHttpResult BadRequest(string detail) =>
        Problem(ProblemTypes.BadRequest, "Bad request.", StatusCodes.Status400BadRequest, detail);

    /// <summary>400 naming the field at fault (a request beyond a bound, rather than an invalid value).</summary>
    public static ProblemHttpResult BadRequest(string path, string message) =>
        TypedResults.Problem(new ProblemDetails
        {
            Type = ProblemTypes.BadRequest,
            Title = "Bad request.",
            Status = StatusCodes.Status400BadRequest,
            Detail = message,
            Extensions = { ["errors"] = new[] { new { path, message } } },
        });

    public static ProblemHttpResult Forbidden(string detail) =>
        Problem(ProblemTypes.Forbidden, "Forbidden.", StatusCodes.Status403Forbidden, detail);

    private static ProblemHttpResult Problem(string type, string title, int status, string detail) =>
        TypedResults.Problem(new ProblemDetails { Type = type, Title = title, Status = status, Detail = detail });
}
