using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Contracts;
using Flowkit.Persistence;
using Flowkit.Sagas;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Runs;

/// <summary>Cancel, pause or resume a run; decide an approval. Each is a command to the run saga, sent through the outbox.</summary>
public static class RunControlsApi
{
    private static readonly string[] Ended = ["Succeeded", "Failed", "Cancelled"];

    /// <summary>The longest reason a pause takes (it is kept in the timeline).</summary>
    public const int MaxReasonLength = 500;

    public static IEndpointRouteBuilder MapRunControlsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/runs/{id:guid}/cancel", CancelAsync)
            .RequirePermission(Permission.Run)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Cancel a run: pending steps are cancelled, running steps are told to stop. 409 if it has ended.");
        routes.MapPost("/api/v1/runs/{id:guid}/pause", PauseAsync)
            .RequirePermission(Permission.Run)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Pause a run: nothing new is dispatched; running steps finish and their results are kept. 409 if it has ended or is paused.")
            .WithDescription("Answers 202 at once; the run reads paused when the engine has taken the request (RunPaused on its timeline). Timers and approval decisions that fall due while it is paused act when it is resumed. Cancel works on a paused run.");
        routes.MapPost("/api/v1/runs/{id:guid}/resume", ResumeAsync)
            .RequirePermission(Permission.Run)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Resume a paused run: steps held by the pause are dispatched; delays, retries and approvals that fell due act now. 409 if it is not paused.")
            .WithDescription("Answers 202 at once; RunResumed on the run's timeline says which steps the resume released.");
        routes.MapPost("/api/v1/runs/{id:guid}/approvals/{stepId}", DecideAsync)
            .RequirePermission(Permission.Approve)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Approve or reject a waiting approval step. 409 if the step is not waiting for a decision.");
        return routes;
    }

    internal static async Task<Results<Accepted<CancelRunResponse>, ProblemHttpResult>> CancelAsync(
        Guid id, CancelRunRequest? body, HttpContext context, FlowkitDbContext db, IOutbox outbox, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var state = await db.Runs.AsNoTracking().Where(r => r.CorrelationId == id && r.Workspace == workspace)
            .Select(r => r.CurrentState).SingleOrDefaultAsync(cancellationToken);
        if (state is null)
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        if (Ended.Contains(state))
        {
            return Problems.Problems.Conflict($"Run {id} has already ended ({state.ToLowerInvariant()}); there is nothing to cancel.");
        }

        outbox.Send(EngineQueues.Runs, new CancelRun
        {
            RunId = id,
            Reason = body?.Reason,
            RequestedBy = Workspaces.Caller(context),
            Timestamp = time.GetUtcNow(),
        }, id);
        // The command (outbox row) and its audit entry commit in one SaveChanges.
        audit.Record(context, AuditActions.RunCancel, $"run/{id}", new { status = state.ToLowerInvariant() }, new { reason = body?.Reason });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/runs/{id}", new CancelRunResponse(id, "cancelling"));
    }

    internal static async Task<Results<Accepted<RunControlResponse>, ProblemHttpResult>> PauseAsync(
        Guid id, PauseRunRequest? body, HttpContext context, FlowkitDbContext db, IOutbox outbox, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (body?.Reason is { Length: > MaxReasonLength })
        {
            return Problems.Problems.Validation("$.reason", $"The reason is {body.Reason.Length} characters long; at most {MaxReasonLength} are kept.");
        }

        var workspace = Workspaces.Of(context);
        var state = await StateAsync(db, id, workspace, cancellationToken);
        if (state is null)
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        if (Ended.Contains(state))
        {
            return Problems.Problems.Conflict($"Run {id} has already ended ({state.ToLowerInvariant()}); there is nothing to pause.");
        }

        if (state == "Paused")
        {
            return Problems.Problems.Conflict($"Run {id} is already paused; resume it with POST /api/v1/runs/{id}/resume.");
        }

        outbox.Send(EngineQueues.Runs, new PauseRun
        {
            RunId = id,
            Reason = body?.Reason,
            RequestedBy = Workspaces.Caller(context),
            Timestamp = time.GetUtcNow(),
        }, id);
        audit.Record(context, AuditActions.RunPause, $"run/{id}", new { status = state.ToLowerInvariant() }, new { reason = body?.Reason });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/runs/{id}", new RunControlResponse(id, "pausing"));
    }

    internal static async Task<Results<Accepted<RunControlResponse>, ProblemHttpResult>> ResumeAsync(
        Guid id, HttpContext context, FlowkitDbContext db, IOutbox outbox, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var state = await StateAsync(db, id, workspace, cancellationToken);
        if (state is null)
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        if (Ended.Contains(state))
        {
            return Problems.Problems.Conflict($"Run {id} has already ended ({state.ToLowerInvariant()}); there is nothing to resume.");
        }

        if (state != "Paused")
        {
            return Problems.Problems.Conflict($"Run {id} is not paused (it is {state.ToLowerInvariant()}); only a paused run can be resumed.");
        }

        outbox.Send(EngineQueues.Runs, new ResumeRun
        {
            RunId = id,
            RequestedBy = Workspaces.Caller(context),
            Timestamp = time.GetUtcNow(),
        }, id);
        audit.Record(context, AuditActions.RunResume, $"run/{id}", new { status = state.ToLowerInvariant() });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/runs/{id}", new RunControlResponse(id, "resuming"));
    }

    /// <summary>The run's state name, or null when the workspace has no such run.</summary>
    private static Task<string?> StateAsync(FlowkitDbContext db, Guid id, string workspace, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().Where(r => r.CorrelationId == id && r.Workspace == workspace)
            .Select(r => r.CurrentState).SingleOrDefaultAsync(cancellationToken);

    internal static async Task<Results<Ok<ApprovalDecisionResponse>, ProblemHttpResult>> DecideAsync(
        Guid id,
        string stepId,
        ApprovalDecisionRequest? body,
        HttpContext context,
        FlowkitDbContext db,
        IOutbox outbox,
        AuditLog audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var approved = body?.Decision?.ToLowerInvariant() switch
        {
            "approve" or "approved" => true,
            "reject" or "rejected" => false,
            _ => (bool?)null,
        };
        if (approved is null)
        {
            return Problems.Problems.Validation("$.decision", "Say 'approve' or 'reject' in decision.");
        }

        var workspace = Workspaces.Of(context);
        var now = time.GetUtcNow();
        var decidedBy = Workspaces.Caller(context);
        var decision = approved.Value ? "approved" : "rejected";

        // One decision per approval: the conditional update claims the open request, so deciding twice (or racing
        // the expiry) answers 409 and only one decision ever reaches the run. The run row is read FOR SHARE, so the
        // run cannot end between this check and the commit: a run that has ended (cancelled, failed, timed out while
        // the approval was open) answers 409 instead of taking a decision nobody will apply (issue #10).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var state = await db.Database
            .SqlQuery<string>($"SELECT current_state AS \"Value\" FROM runs WHERE id = {id} AND workspace = {workspace} FOR SHARE")
            .ToListAsync(cancellationToken);
        if (state.Count == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        if (Ended.Contains(state[0]))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return Problems.Problems.Conflict($"Run {id} has already ended ({state[0].ToLowerInvariant()}); step '{stepId}' is not waiting for a decision.");
        }

        var claimed = await db.Approvals
            .Where(a => a.RunId == id && a.StepId == stepId && a.Decision == null)
            .OrderByDescending(a => a.Attempt)
            .Select(a => (int?)a.Attempt)
            .FirstOrDefaultAsync(cancellationToken);
        var updated = claimed is null ? 0 : await db.Approvals
            .Where(a => a.RunId == id && a.StepId == stepId && a.Attempt == claimed && a.Decision == null)
            .ExecuteUpdateAsync(u => u
                .SetProperty(a => a.Decision, decision)
                .SetProperty(a => a.DecidedBy, decidedBy)
                .SetProperty(a => a.Comment, body!.Comment)
                .SetProperty(a => a.DecidedAt, now), cancellationToken);
        if (updated == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return Problems.Problems.Conflict($"Step '{stepId}' of run {id} is not waiting for a decision.");
        }

        outbox.Send(EngineQueues.Runs, new DecideApproval
        {
            RunId = id,
            StepId = stepId,
            Attempt = claimed!.Value,
            Approved = approved.Value,
            DecidedBy = decidedBy,
            Comment = body!.Comment,
            Timestamp = now,
        }, id);
        audit.Record(context, AuditActions.ApprovalDecide, $"run/{id}/approval/{stepId}", after: new { decision, comment = body.Comment, attempt = claimed.Value });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.Ok(new ApprovalDecisionResponse(id, stepId, decision, decidedBy, body.Comment, now));
    }
}

/// <summary>Body of POST /api/v1/runs/{id}/cancel (optional).</summary>
public sealed record CancelRunRequest(string? Reason);

public sealed record CancelRunResponse(Guid RunId, string Status);

/// <summary>Body of POST /api/v1/runs/{id}/pause (optional).</summary>
/// <param name="Reason">Why, for the timeline (at most 500 characters).</param>
public sealed record PauseRunRequest(string? Reason);

/// <summary>The answer to a pause or resume: the engine takes it next (status pausing or resuming).</summary>
public sealed record RunControlResponse(Guid RunId, string Status);

/// <summary>Body of POST /api/v1/runs/{id}/approvals/{stepId}.</summary>
/// <param name="Decision"><c>approve</c> or <c>reject</c>.</param>
/// <param name="Comment">Why, for the timeline.</param>
public sealed record ApprovalDecisionRequest(string? Decision, string? Comment);

public sealed record ApprovalDecisionResponse(Guid RunId, string StepId, string Decision, string? DecidedBy, string? Comment, DateTimeOffset DecidedAt);
