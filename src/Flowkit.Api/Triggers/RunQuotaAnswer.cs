using System.Globalization;
using Flowkit.Api.Problems;
using Flowkit.Persistence.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Flowkit.Api.Triggers;

/// <summary>The answer to a run refused by the workspace's quota of runs in flight: 429, Retry-After, a problem.</summary>
internal static class RunQuotaAnswer
{
    public static ProblemHttpResult TooMany(HttpContext context, RunQuotaOptions quotas, string workspace)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(quotas);
        var seconds = Math.Max(1, (long)Math.Ceiling(quotas.RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(new ProblemDetails
        {
            Type = ProblemTypes.TooManyRequests,
            Title = "Too many requests.",
            Status = StatusCodes.Status429TooManyRequests,
            Detail = $"Workspace '{workspace}' has {quotas.For(workspace).ToString("N0", CultureInfo.InvariantCulture)} runs in flight (pending, running or waiting), its quota; no run was started. Retry after {seconds} s, when some have finished.",
            Extensions = { ["quota"] = "runsInFlight", ["limit"] = quotas.For(workspace) },
        });
    }
}
