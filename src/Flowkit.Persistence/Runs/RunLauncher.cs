using Flowkit.Contracts;
using Flowkit.Persistence.Workflows;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Flowkit.Persistence.Runs;

/// <summary>What starting a run gave: the run, and whether it is an earlier run found by its request key.</summary>
public sealed record LaunchedRun(Guid RunId, int Version, bool Duplicate);

/// <summary>
/// Starts runs for every trigger (API, webhook, cron): the run row (pending), its RunCreated event, its StartRun
/// message (outbox) and, when the request has a key, the deduplication row commit in one transaction. So a request
/// answered 2xx is never lost, and a repeated key returns the first run instead of starting another.
/// </summary>
public sealed class RunLauncher(FlowkitDbContext db, IOutbox outbox, Flowkit.Persistence.Sagas.PlanCache plans, TimeProvider time)
{
    public async Task<LaunchedRun> StartAsync(
        WorkflowRow workflow, int version, string inputJson, string? scope, string? key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        if (key is not null && await FindAsync(workflow.Workspace, scope!, key, cancellationToken) is { } earlier)
        {
            return earlier;
        }

        var now = time.GetUtcNow();
        var run = new RunState
        {
            CorrelationId = Guid.CreateVersion7(),
            CurrentState = "Pending",
            Workspace = workflow.Workspace,
            WorkflowId = workflow.Id,
            Workflow = workflow.Name,
            Version = version,
            Input = inputJson,
            CreatedAt = now,
        };
        db.Runs.Add(run);
        db.RunEvents.Add(new RunEventRow
        {
            RunId = run.CorrelationId,
            Workspace = workflow.Workspace,
            Type = RunEventTypes.RunCreated,
            Timestamp = now,
            TraceId = System.Diagnostics.Activity.Current?.TraceId.ToString(),
        });
        // A run of a workflow with a concurrency limit joins the line when it is created, so runs start in the
        // order they were requested, whatever order the engine receives their StartRun messages in.
        var plan = await plans.GetAsync(db, workflow.Id, version, cancellationToken);
        if (plan.Options.ConcurrencyLimit is not null)
        {
            db.RunQueue.Add(new RunQueueRow { RunId = run.CorrelationId, WorkflowId = workflow.Id, EnqueuedAt = now });
        }

        if (key is not null)
        {
            db.RunRequests.Add(new RunRequestRow { Workspace = workflow.Workspace, Scope = scope!, Key = key, RunId = run.CorrelationId, CreatedAt = now });
        }

        outbox.Send(EngineQueues.Runs, new StartRun { RunId = run.CorrelationId, Timestamp = now }, run.CorrelationId);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (key is not null && ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, TableName: "run_requests" })
        {
            // A concurrent request with the same key committed first: it started the run; this one is its duplicate.
            db.ChangeTracker.Clear();
            return await FindAsync(workflow.Workspace, scope!, key, cancellationToken)
                ?? throw new InvalidOperationException($"Request key '{key}' collided but its run cannot be found.", ex);
        }

        return new LaunchedRun(run.CorrelationId, version, false);
    }

    private async Task<LaunchedRun?> FindAsync(string workspace, string scope, string key, CancellationToken cancellationToken)
    {
        var found = await db.RunRequests.AsNoTracking()
            .Where(r => r.Workspace == workspace && r.Scope == scope && r.Key == key)
            .Join(db.Runs, r => r.RunId, run => run.CorrelationId, (r, run) => new { r.RunId, run.Version })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : new LaunchedRun(found.RunId, found.Version, true);
    }
}
