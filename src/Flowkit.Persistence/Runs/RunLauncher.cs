using Flowkit.Contracts;
using Flowkit.Persistence.Workflows;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Flowkit.Persistence.Runs;

/// <summary>What starting a run gave: the run, and whether it is an earlier run found by its request key.</summary>
public sealed record LaunchedRun(Guid RunId, int Version, bool Duplicate);

/// <summary>How <see cref="RunLauncher"/> starts a run.</summary>
/// <param name="NotBefore">The run stays pending until this time (a queued webhook); null or past: start now.</param>
/// <param name="LookFirst">
/// Look the key up before inserting. False saves a round trip when the caller just claimed the key in a cache; a
/// collision is then found by the primary key and answered the same way.
/// </param>
public sealed record LaunchOptions(DateTimeOffset? NotBefore = null, bool LookFirst = true);

/// <summary>
/// Starts runs for every trigger (API, webhook, cron): the run row (pending), its RunCreated event, its StartRun
/// message (outbox) and, when the request has a key, the deduplication row commit in one transaction. So a request
/// answered 2xx is never lost, and a repeated key returns the first run instead of starting another.
/// </summary>
public sealed class RunLauncher(FlowkitDbContext db, IOutbox outbox, TimeProvider time)
{
    public Task<LaunchedRun> StartAsync(
        WorkflowRow workflow, int version, string inputJson, string? scope, string? key, CancellationToken cancellationToken) =>
        StartAsync(workflow, version, inputJson, scope, key, new LaunchOptions(), cancellationToken);

    /// <summary>
    /// Starts a run as <see cref="StartAsync(WorkflowRow, int, string, string?, string?, CancellationToken)"/> does, with
    /// <paramref name="options"/>: a start time in the future keeps the run pending until then (its StartRun is an
    /// outbox row due at that time), and a caller that has just claimed the key elsewhere can skip the lookup (the
    /// primary key still decides).
    /// </summary>
    public async Task<LaunchedRun> StartAsync(
        WorkflowRow workflow, int version, string inputJson, string? scope, string? key, LaunchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(options);
        if (key is not null && options.LookFirst && await FindAsync(workflow.Workspace, scope!, key, cancellationToken) is { } earlier)
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
        if (key is not null)
        {
            db.RunRequests.Add(new RunRequestRow { Workspace = workflow.Workspace, Scope = scope!, Key = key, RunId = run.CorrelationId, CreatedAt = now });
        }

        if (options.NotBefore is { } due && due > now)
        {
            // Durable time: the relay sends StartRun when it is due; until then the run stays pending.
            outbox.Schedule(new StartRun { RunId = run.CorrelationId, Timestamp = due }, due, TimerTokens.For("start", run.CorrelationId), run.CorrelationId);
        }
        else
        {
            outbox.Send(EngineQueues.Runs, new StartRun { RunId = run.CorrelationId, Timestamp = now }, run.CorrelationId);
        }

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

    /// <summary>The run an earlier request with this key started, if its row has committed.</summary>
    public async Task<LaunchedRun?> FindAsync(string workspace, string scope, string key, CancellationToken cancellationToken)
    {
        var found = await db.RunRequests.AsNoTracking()
            .Where(r => r.Workspace == workspace && r.Scope == scope && r.Key == key)
            .Join(db.Runs, r => r.RunId, run => run.CorrelationId, (r, run) => new { r.RunId, run.Version })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : new LaunchedRun(found.RunId, found.Version, true);
    }
}
