using System.Text.Json;
using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Persistence;
using Flowkit.Persistence.Runs;
using Flowkit.Sagas;
using Flowkit.Sagas.Planning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Runs;

/// <summary>Runs: start one, read one, page through its steps and its timeline.</summary>
public static class RunsApi
{
    /// <summary>
    /// Steps shown inside <c>GET /api/v1/runs/{id}</c>, in definition order; a run with more (up to
    /// Flowkit:Limits:MaxSteps) gives the rest through <c>GET /api/v1/runs/{id}/steps</c>, so one read stays bounded.
    /// </summary>
    public const int InlineSteps = 100;

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/workflows/{name}/runs", StartAsync)
            .RequirePermission(Permission.Run)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Start a run of a workflow: 202 with the run id; the run proceeds asynchronously. 429 with Retry-After when the workspace is at its quota of runs in flight.");
        routes.MapGet("/api/v1/runs", ListAsync)
            .RequirePermission(Permission.Read)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Runs, newest first; filter by workflow, status and creation time (since inclusive, until exclusive, ISO 8601); page with limit and cursor.");
        routes.MapGet("/api/v1/runs/{id:guid}/events", EventsAsync)
            .RequirePermission(Permission.Read)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The run's timeline, oldest first; page with limit (1 to 500, default 50) and cursor.")
            .WithDescription("A page of events in order of their sequence; nextCursor is null on the last page so far. A run still going adds events after it: ask again with the last cursor to follow it.");
        routes.MapGet("/api/v1/runs/{id:guid}/steps", StepsAsync)
            .RequirePermission(Permission.Read)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The run's steps in definition order, each with its attempts; page with limit (1 to 500, default 50) and cursor.");
        routes.MapGet("/api/v1/runs/{id:guid}", GetAsync)
            .RequirePermission(Permission.Read)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A run with its first 100 steps (status, attempts, output, error, times); stepCount says how many it has.")
            .WithDescription("A run with more than 100 steps gives stepsNextCursor: pass it as cursor to GET /api/v1/runs/{id}/steps for the rest.");
        return routes;
    }

    internal static async Task<Results<Accepted<StartRunResponse>, ProblemHttpResult>> StartAsync(
        string name,
        StartRunRequest? body,
        HttpContext context,
        FlowkitDbContext db,
        RunLauncher launcher,
        IOptions<RunQuotaOptions> quotas,
        Ingress.IngressMetrics metrics,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var workflow = await db.Workflows.AsNoTracking().SingleOrDefaultAsync(w => w.Workspace == workspace && w.Name == name, cancellationToken);
        if (workflow is null)
        {
            return Problems.Problems.NotFound($"There is no workflow named '{name}'.");
        }

        if (workflow.ArchivedAt is not null)
        {
            return Problems.Problems.Conflict($"The workflow '{name}' is archived and starts no new runs.");
        }

        var version = body?.Version ?? workflow.LatestVersion;
        if (version < 1 || version > workflow.LatestVersion)
        {
            return Problems.Problems.Validation("$.version", $"The workflow '{name}' has versions 1 to {workflow.LatestVersion}; there is no version {version}.");
        }

        var input = body?.Input is { ValueKind: not JsonValueKind.Undefined } given ? given.GetRawText() : "{}";
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 200)
        {
            return Problems.Problems.Validation("headers.Idempotency-Key", "The Idempotency-Key header is longer than 200 characters.");
        }

        // The run and its audit entry are one batch: both or neither (a repeated Idempotency-Key starts and records nothing).
        var launched = await launcher.StartAsync(workflow, version, input, $"workflow:{workflow.Id}", key.Length == 0 ? null : key,
            new LaunchOptions(Audit: (runId, v) => audit.Entry(context, AuditActions.RunStart, $"run/{runId}", after: new { workflow = name, version = v })),
            cancellationToken);
        if (launched.OverQuota)
        {
            metrics.OverQuota("api");
            return Triggers.RunQuotaAnswer.TooMany(context, quotas.Value, workspace);
        }

        context.Response.Headers["Location"] = $"/api/v1/runs/{launched.RunId}";
        return TypedResults.Accepted($"/api/v1/runs/{launched.RunId}", new StartRunResponse(launched.RunId, "pending", launched.Version, launched.Duplicate));
    }

    internal static async Task<Results<Ok<Page<RunSummary>>, ProblemHttpResult>> ListAsync(
        string? workflow, string? status, DateTimeOffset? since, DateTimeOffset? until, int? limit, string? cursor, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        if (since is not null && until is not null && until <= since)
        {
            return Problems.Problems.Validation("query.until", $"'until' ({until:O}) must be after 'since' ({since:O}).");
        }

        var workspace = Workspaces.Of(context);
        var query = db.Runs.AsNoTracking().Where(r => r.Workspace == workspace);
        if (workflow is not null)
        {
            query = query.Where(r => r.Workflow == workflow);
        }

        if (status is not null)
        {
            var state = RunStates.FromStatus(status);
            if (state is null)
            {
                return Problems.Problems.Validation("query.status", $"Unknown status '{status}'. Use one of: {string.Join(", ", RunStates.Statuses)}.");
            }

            query = query.Where(r => r.CurrentState == state);
        }

        // Created in [since, until): the console's time filter.
        if (since is { } from)
        {
            var fromUtc = from.ToUniversalTime();
            query = query.Where(r => r.CreatedAt >= fromUtc);
        }

        if (until is { } to)
        {
            var toUtc = to.ToUniversalTime();
            query = query.Where(r => r.CreatedAt < toUtc);
        }

        var page = await Page.NewestFirstAsync(query, r => r.CreatedAt, r => r.CorrelationId, cursor, size, RunSummary.From, cancellationToken);
        return page is null ? Page.BadCursor() : TypedResults.Ok(page);
    }

    internal static async Task<Results<Ok<Page<RunEventResponse>>, ProblemHttpResult>> EventsAsync(
        Guid id, int? limit, string? cursor, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var after = 0L;
        if (cursor is not null && !Page.TryReadPositionCursor(cursor, out after))
        {
            return Page.BadCursor();
        }

        var workspace = Workspaces.Of(context);
        var run = await RunOfAsync(db, id, workspace, cancellationToken);
        if (run is null)
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        // Keyset on the event's sequence (ix_run_events_run covers run_id, id): each page costs the same however long the timeline.
        var rows = await db.RunEvents.AsNoTracking()
            .Where(e => e.RunId == id && e.Id > after)
            .OrderBy(e => e.Id)
            .Take(size + 1)
            .ToListAsync(cancellationToken);
        var next = rows.Count > size ? Page.WritePositionCursor(rows[size - 1].Id) : null;
        return TypedResults.Ok(new Page<RunEventResponse>(rows.Take(size).Select(r => RunEventResponse.From(r, run)).ToArray(), next));
    }

    /// <summary>What every event of a run repeats (its workflow and version), or null when the run is not this workspace's.</summary>
    internal static Task<RunIdentity?> RunOfAsync(FlowkitDbContext db, Guid id, string workspace, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking()
            .Where(r => r.CorrelationId == id && r.Workspace == workspace)
            .Select(r => new RunIdentity(r.CorrelationId, r.Workspace, r.Workflow, r.Version))
            .SingleOrDefaultAsync(cancellationToken);

    internal static async Task<Results<Ok<Page<StepResponse>>, ProblemHttpResult>> StepsAsync(
        Guid id, int? limit, string? cursor, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var after = -1L;
        if (cursor is not null && !Page.TryReadPositionCursor(cursor, out after))
        {
            return Page.BadCursor();
        }

        var workspace = Workspaces.Of(context);
        if (!await db.Runs.AnyAsync(r => r.CorrelationId == id && r.Workspace == workspace, cancellationToken))
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        var (steps, next) = await StepPageAsync(db, id, after, size, cancellationToken);
        return TypedResults.Ok(new Page<StepResponse>(steps, next));
    }

    internal static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> GetAsync(
        Guid id, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == id && r.Workspace == workspace, cancellationToken);
        if (run is null)
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        var count = await db.Steps.CountAsync(s => s.RunId == id, cancellationToken);
        var (steps, next) = await StepPageAsync(db, id, -1, InlineSteps, cancellationToken);
        return TypedResults.Ok(RunResponse.From(run, steps, count, next));
    }

    /// <summary>The run's steps after index <paramref name="after"/>, at most <paramref name="size"/>, with their attempts; and the next page's cursor.</summary>
    private static async Task<(StepResponse[] Steps, string? Next)> StepPageAsync(FlowkitDbContext db, Guid id, long after, int size, CancellationToken cancellationToken)
    {
        var rows = await db.Steps.AsNoTracking()
            .Where(s => s.RunId == id && s.Index > after)
            .OrderBy(s => s.Index)
            .Take(size + 1)
            .ToListAsync(cancellationToken);
        var next = rows.Count > size ? Page.WritePositionCursor(rows[size - 1].Index) : null;
        var page = rows.Take(size).ToArray();
        var ids = page.Select(s => s.StepId).ToArray();
        // Attempts of these steps only; a step has at most 100 (the language's bound on retry.attempts).
        var attempts = (await db.Attempts.AsNoTracking().Where(a => a.RunId == id && ids.Contains(a.StepId)).OrderBy(a => a.Attempt).ToListAsync(cancellationToken))
            .ToLookup(a => a.StepId, StringComparer.Ordinal);
        return (page.Select(s => StepResponse.From(s, attempts[s.StepId])).ToArray(), next);
    }
}

/// <summary>Body of POST /api/v1/workflows/{name}/runs.</summary>
/// <param name="Input">The run's input, available to expressions as <c>input</c>.</param>
/// <param name="Version">The version to run; the latest when omitted.</param>
public sealed record StartRunRequest(JsonElement? Input, int? Version);

/// <summary>The answer to a run request.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Status">Its status when answered (pending).</param>
/// <param name="Version">The workflow version it runs.</param>
/// <param name="Duplicate">True when the request's Idempotency-Key matched an earlier request: this is that run.</param>
public sealed record StartRunResponse(Guid RunId, string Status, int Version, bool Duplicate = false);

/// <summary>A run as <c>GET /api/v1/runs/{id}</c> shows it.</summary>
/// <param name="Id">The run's id.</param>
/// <param name="Workflow">The workflow it runs.</param>
/// <param name="Version">The workflow version it pinned when it started.</param>
/// <param name="Status">pending, running, waiting, paused, succeeded, failed or cancelled.</param>
/// <param name="Input">The run's input.</param>
/// <param name="Error">Why it failed, when it did.</param>
/// <param name="CreatedAt">When it was accepted.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="Steps">Its first <see cref="RunsApi.InlineSteps"/> steps in definition order.</param>
/// <param name="StepCount">How many steps the run has.</param>
/// <param name="StepsNextCursor">
/// Null when <paramref name="Steps"/> holds every step; otherwise the cursor of the rest at <c>GET /api/v1/runs/{id}/steps</c>.
/// </param>
/// <param name="PausedAt">When it was paused, while it is paused.</param>
/// <param name="RerunOf">The run it reruns, if it is a rerun.</param>
/// <param name="RerunFrom">The step a rerun started from (null: from the start).</param>
public sealed record RunResponse(
    Guid Id,
    string Workflow,
    int Version,
    string Status,
    JsonElement Input,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<StepResponse> Steps,
    int StepCount,
    string? StepsNextCursor,
    DateTimeOffset? PausedAt = null,
    Guid? RerunOf = null,
    string? RerunFrom = null)
{
    internal static RunResponse From(RunState run, IReadOnlyList<StepResponse> steps, int stepCount, string? stepsNextCursor) =>
        new(run.CorrelationId, run.Workflow, run.Version, run.CurrentState.ToLowerInvariant(),
            JsonSerializer.Deserialize<JsonElement>(run.Input), run.Error, run.CreatedAt, run.StartedAt, run.FinishedAt,
            steps, stepCount, stepsNextCursor, run.CurrentState == "Paused" ? run.PausedAt : null, run.RerunOf, run.RerunFrom);
}

public sealed record StepResponse(
    string Id,
    string Status,
    int Attempts,
    JsonElement? Output,
    string? Error,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<AttemptResponse> AttemptHistory,
    Guid? ReusedFrom = null,
    ItemProgress? Items = null)
{
    internal static StepResponse From(StepRow row, IEnumerable<StepAttemptRow> attempts) =>
        new(row.StepId, row.Status.ToString().ToLowerInvariant(), row.Attempt,
            row.Output is null ? null : JsonSerializer.Deserialize<JsonElement>(row.Output),
            row.Error, row.StartedAt, row.FinishedAt,
            [.. attempts.Select(a => new AttemptResponse(a.Attempt, a.Status, a.DispatchedAt, a.StartedAt, a.FinishedAt, a.Error)), .. InFlight(row)],
            row.ReusedFrom, ItemProgress.Of(row));

    /// <summary>The attempt under way (its history row is written when it ends).</summary>
    private static IEnumerable<AttemptResponse> InFlight(StepRow row) =>
        row.Status is StepStatus.Running or StepStatus.Waiting && row.AttemptDispatchedAt is { } dispatched
            ? [new AttemptResponse(row.Attempt, row.Status.ToString().ToLowerInvariant(), dispatched, row.Status == StepStatus.Waiting ? dispatched : null, null, null)]
            : [];
}

/// <summary>One attempt of a step: number, when it was dispatched, started and ended, and its error.</summary>
public sealed record AttemptResponse(int Number, string Status, DateTimeOffset DispatchedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error);

/// <summary>A run in a list: no steps.</summary>
public sealed record RunSummary(
    Guid Id, string Workflow, int Version, string Status, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    Guid? RerunOf = null)
{
    internal static RunSummary From(RunState run) =>
        new(run.CorrelationId, run.Workflow, run.Version, run.CurrentState.ToLowerInvariant(), run.Error, run.CreatedAt, run.StartedAt, run.FinishedAt, run.RerunOf);
}

/// <summary>
/// One entry of a run's timeline: a lifecycle event (CONTRACT.md section 3) with the fields it carries on the bus.
/// </summary>
/// <param name="Sequence">Its position in the timeline (ascending; the stream's event id is the cursor made of it).</param>
/// <param name="Type">RunCreated, RunStarted, StepReady, StepStarted, StepSucceeded, StepFailed, StepRetryScheduled, StepSkipped, StepReused, ItemStarted, ItemSucceeded, ItemFailed, ItemRetryScheduled (items of for-each steps; data.item is the index), ApprovalRequested, ApprovalDecided, RunPaused, RunResumed, RunSucceeded, RunFailed, RunCancelled (and RunRedriven by the watchdog).</param>
/// <param name="RunId">The run.</param>
/// <param name="Workspace">The run's workspace.</param>
/// <param name="Workflow">The run's workflow.</param>
/// <param name="Version">The workflow version the run pinned.</param>
/// <param name="StepId">The step, on step events.</param>
/// <param name="Attempt">The step's attempt on step events (0 for a step skipped before any attempt); the run's attempt on run events.</param>
/// <param name="Timestamp">When it happened (UTC).</param>
/// <param name="TraceId">The W3C trace id of the transition that made it: the run's trace.</param>
/// <param name="Data">Details (error, next attempt time, decision), or null.</param>
public sealed record RunEventResponse(
    long Sequence, string Type, Guid RunId, string Workspace, string Workflow, int Version,
    string? StepId, int? Attempt, DateTimeOffset Timestamp, string? TraceId, JsonElement? Data)
{
    internal static RunEventResponse From(RunEventRow row, RunIdentity run) =>
        new(row.Id, row.Type, run.RunId, run.Workspace, run.Workflow, run.Version, row.StepId, row.Attempt, row.Timestamp, row.TraceId,
            row.Data is null ? null : JsonSerializer.Deserialize<JsonElement>(row.Data));
}

/// <summary>The fields every event of a run repeats.</summary>
internal sealed record RunIdentity(Guid RunId, string Workspace, string Workflow, int Version);

/// <summary>Run status names (CONTRACT.md section 3) and the saga states behind them.</summary>
internal static class RunStates
{
    public static readonly string[] Statuses = ["pending", "running", "waiting", "paused", "succeeded", "failed", "cancelled"];

    public static string? FromStatus(string status) =>
        Statuses.Contains(status, StringComparer.OrdinalIgnoreCase) ? char.ToUpperInvariant(status[0]) + status[1..].ToLowerInvariant() : null;
}
