using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Persistence;
using Flowkit.Sagas;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Runs;

/// <summary>Runs: start one, read one.</summary>
public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/workflows/{name}/runs", StartAsync)
            .WithTags("Runs")
            .WithSummary("Start a run of a workflow: 202 with the run id; the run proceeds asynchronously.");
        routes.MapGet("/api/v1/runs/{id:guid}", GetAsync)
            .WithTags("Runs")
            .WithSummary("A run with every step: status, attempts, output, error, times.");
        return routes;
    }

    internal static async Task<Results<Accepted<StartRunResponse>, ProblemHttpResult>> StartAsync(
        string name,
        StartRunRequest? body,
        HttpContext context,
        FlowkitDbContext db,
        IPublishEndpoint publish,
        TimeProvider time,
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
        var now = time.GetUtcNow();
        var run = new RunState
        {
            CorrelationId = Guid.CreateVersion7(),
            CurrentState = "Pending",
            Workspace = workspace,
            WorkflowId = workflow.Id,
            Workflow = workflow.Name,
            Version = version,
            Input = input,
            CreatedAt = now,
        };
        db.Runs.Add(run);
        db.RunEvents.Add(new RunEventRow
        {
            RunId = run.CorrelationId,
            Workspace = workspace,
            Type = RunEventTypes.RunCreated,
            Timestamp = now,
            TraceId = System.Diagnostics.Activity.Current?.TraceId.ToString(),
        });
        await db.SaveChangesAsync(cancellationToken);

        // The run row is committed first, so the saga always finds it. Until the transactional outbox (issues 5
        // and 7), a crash between the commit and this publish leaves the run pending.
        await publish.Publish(new StartRun { RunId = run.CorrelationId, Timestamp = now }, cancellationToken);

        return TypedResults.Accepted($"/api/v1/runs/{run.CorrelationId}", new StartRunResponse(run.CorrelationId, "pending", version));
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

        var steps = await db.Steps.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return TypedResults.Ok(RunResponse.From(run, steps));
    }
}

/// <summary>Body of POST /api/v1/workflows/{name}/runs.</summary>
/// <param name="Input">The run's input, available to expressions as <c>input</c>.</param>
/// <param name="Version">The version to run; the latest when omitted.</param>
public sealed record StartRunRequest(JsonElement? Input, int? Version);

public sealed record StartRunResponse(Guid RunId, string Status, int Version);

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
    IReadOnlyList<StepResponse> Steps)
{
    internal static RunResponse From(RunState run, IEnumerable<StepRow> steps) =>
        new(run.CorrelationId, run.Workflow, run.Version, run.CurrentState.ToLowerInvariant(),
            JsonSerializer.Deserialize<JsonElement>(run.Input), run.Error, run.CreatedAt, run.StartedAt, run.FinishedAt,
            steps.Select(StepResponse.From).ToArray());
}

public sealed record StepResponse(
    string Id,
    string Status,
    int Attempts,
    JsonElement? Output,
    string? Error,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    internal static StepResponse From(StepRow row) =>
        new(row.StepId, row.Status.ToString().ToLowerInvariant(), row.Attempt,
            row.Output is null ? null : JsonSerializer.Deserialize<JsonElement>(row.Output),
            row.Error, row.StartedAt, row.FinishedAt);
}
