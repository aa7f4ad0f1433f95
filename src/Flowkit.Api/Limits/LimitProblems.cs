using Flowkit.Api.Problems;
using Flowkit.Definitions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Flowkit.Api.Limits;

/// <summary>The answers for requests over a limit of <c>Flowkit:Limits</c>: problem details with <c>errors</c> naming the field, like validation.</summary>
internal static class LimitProblems
{
    /// <summary>413 for a definition over <see cref="DefinitionLimits.MaxDefinitionBytes"/>.</summary>
    public static ProblemHttpResult DefinitionTooLarge(long bytes, DefinitionLimits limits)
    {
        var message = DefinitionCompiler.TooLarge(bytes, limits);
        return TypedResults.Problem(new ProblemDetails
        {
            Type = ProblemTypes.PayloadTooLarge,
            Title = "Payload too large.",
            Status = StatusCodes.Status413PayloadTooLarge,
            Detail = message,
            Extensions = { ["errors"] = new[] { new { path = "$", message } } },
        });
    }
}
