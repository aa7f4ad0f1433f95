using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Persistence;
using Flowkit.Persistence.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Runs;

/// <summary>Rerun an ended run from a step (or from the start), one or a window of a workflow's failed runs at once (docs/run-control.md).</summary>
public static class RerunsApi
{
    public static IEndpointRouteBuilder MapRerunsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/runs/{id:guid}/rerun", RerunAsync)
            .RequirePermission(Permission.Run)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Rerun an ended run as a new run linked to it: from fromStep (it and everything downstream run again; every other step reuses its recorded result) or, without fromStep, from the start with the same input.")
            .WithDescription("Same version by default; a newer version only when every step not downstream of fromStep is unchanged (else 409 naming the step). 409 when the run has not ended. Honours Idempotency-Key.");
        routes.MapPost("/api/v1/workflows/{name}/runs/rerun", RerunManyAsync)
            .RequirePermission(Permission.Run)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary($"Rerun a workflow's failed (or cancelled) runs created in [since, until), at most {RunReruns.BulkLimit} per request (400 beyond), each from fromStep; a result per run.")
            .WithDescription("Each run is rerun on its own version; a run already rerun, or one whose version has no such step, is not rerun and its result says why.");
        return routes;
    }

    internal static async Task<Results<Accepted<RerunResponse>, ProblemHttpResult>> RerunAsync(
        Guid id, RerunRequest? body, HttpContext context, RunReruns reruns, IOptions<RunQuotaOptions> quotas, AuditLog audit, CancellationToken cancellationToken)
    {
        if (body?.FromStep is { } from && string.IsNullOrWhiteSpace(from))
        {
            return Problems.Problems.Validation("$.fromStep", "fromStep is empty: name a step of the workflow, or leave it out to rerun from the start.");
        }

        var key = context.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 200)
        {
            return Problems.Problems.Validation("headers.Idempotency-Key", "The Idempotency-Key header is longer than 200 characters.");
        }

        var workspace = Workspaces.Of(context);
        var outcome = await reruns.RerunAsync(id, workspace, body?.FromStep, body?.Version, key.Length == 0 ? null : key,
            (runId, version) => audit.Entry(context, AuditActions.RunRerun, $"run/{runId}", after: new { rerunOf = id, fromStep = body?.FromStep, version }),
            cancellationToken);
        if (Refusal(outcome, context, quotas.Value, workspace) is { } refused)
        {
            return refused;
        }

        context.Response.Headers.Location = $"/api/v1/runs/{outcome.RunId}";
        return TypedResults.Accepted($"/api/v1/runs/{outcome.RunId}",
            new RerunResponse(outcome.RunId, "pending", outcome.Version, id, body?.FromStep, outcome.Duplicate));
    }

    internal static async Task<Results<Ok<BulkRerunResponse>, ProblemHttpResult>> RerunManyAsync(
        string name, BulkRerunRequest? body, HttpContext context, FlowkitDbContext db, RunReruns reruns, AuditLog audit, CancellationToken cancellationToken)
    {
        var state = body?.Status?.ToLowerInvariant() switch
        {
            "failed" => "Failed",
            "cancelled" => "Cancelled",
            _ => null,
        };
        if (state is null)
        {
            return Problems.Problems.Validation("$.status", "Say which ended runs to rerun in status: 'failed' or 'cancelled'.");
        }

        if (body!.Since is { } since && body.Until is { } until && until <= since)
        {
            return Problems.Problems.Validation("$.until", $"'until' ({until:O}) must be after 'since' ({since:O}).");
        }

        if (body.FromStep is { } from && string.IsNullOrWhiteSpace(from))
        {
            return Problems.Problems.Validation("$.fromStep", "fromStep is empty: name a step of the workflow, or leave it out to rerun from the start.");
        }

        var workspace = Workspaces.Of(context);
        var workflow = await db.Workflows.AsNoTracking().Where(w => w.Workspace == workspace && w.Name == name)
            .Select(w => new WorkflowRowKey(w.Id, w.Workspace)).SingleOrDefaultAsync(cancellationToken);
        if (workflow is null)
        {
            return Problems.Problems.NotFound($"There is no workflow named '{name}'.");
        }

        var results = await reruns.RerunManyAsync(workflow, state, body.Since, body.Until, body.FromStep,
            (runId, version) => audit.Entry(context, AuditActions.RunRerun, $"run/{runId}", after: new { workflow = name, fromStep = body.FromStep, version, bulk = true }),
            cancellationToken);
        if (results is null)
        {
            return Problems.Problems.BadRequest("$.since",
                $"More than {RunReruns.BulkLimit} {body.Status!.ToLowerInvariant()} runs of '{name}' were created in this window; a bulk rerun takes at most {RunReruns.BulkLimit}. Narrow it with since and until. Nothing was rerun.");
        }

        return TypedResults.Ok(new BulkRerunResponse(RunReruns.BulkLimit, results.Count(r => r.NewRunId is not null), results.Count(r => r.NewRunId is null), results));
    }

    private static ProblemHttpResult? Refusal(RerunOutcome outcome, HttpContext context, RunQuotaOptions quotas, string workspace) => outcome.Refusal switch
    {
        null => null,
        RerunRefusal.NotFound => Problems.Problems.NotFound(outcome.Detail!),
        RerunRefusal.Conflict => Problems.Problems.Conflict(outcome.Detail!),
        RerunRefusal.Invalid => Problems.Problems.Validation(outcome.Path!, outcome.Detail!),
        _ => Triggers.RunQuotaAnswer.TooMany(context, quotas, workspace),
    };
}

/// <summary>Body of POST /api/v1/runs/{id}/rerun (optional).</summary>
/// <param name="FromStep">Run this step and everything downstream of it again; every other step reuses its recorded result. Omitted: rerun from the start.</param>
/// <param name="Version">The workflow version of the new run: the old run's (default) or a newer one.</param>
public sealed record RerunRequest(string? FromStep, int? Version);

/// <summary>The answer to a rerun.</summary>
/// <param name="RunId">The new run.</param>
/// <param name="Status">Its status when answered (pending).</param>
/// <param name="Version">The workflow version it runs.</param>
/// <param name="RerunOf">The run it reruns.</param>
/// <param name="FromStep">The step it starts from (null: from the start).</param>
/// <param name="Duplicate">The request's Idempotency-Key rerun this run before: this is that rerun.</param>
public sealed record RerunResponse(Guid RunId, string Status, int Version, Guid RerunOf, string? FromStep, bool Duplicate = false);

/// <summary>Body of POST /api/v1/workflows/{name}/runs/rerun.</summary>
/// <param name="Status">Which ended runs: failed or cancelled.</param>
/// <param name="Since">Runs created at or after this time (ISO 8601).</param>
/// <param name="Until">Runs created before this time.</param>
/// <param name="FromStep">The step each rerun starts from; omitted: from the start.</param>
public sealed record BulkRerunRequest(string? Status, DateTimeOffset? Since, DateTimeOffset? Until, string? FromStep);

/// <summary>The answer to a bulk rerun: one result per run in the window, oldest first.</summary>
/// <param name="Limit">The most runs one request takes.</param>
/// <param name="Rerun">How many were rerun.</param>
/// <param name="NotRerun">How many were not (each result says why).</param>
/// <param name="Results">Per run: the new run's id, or the reason it was not rerun.</param>
public sealed record BulkRerunResponse(int Limit, int Rerun, int NotRerun, IReadOnlyList<BulkRerunResult> Results);
