using System.Diagnostics;
using Flowkit.Contracts;
using Flowkit.Persistence.Outbox;
using Flowkit.Persistence.Workflows;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Flowkit.Persistence.Runs;

/// <summary>What starting a run gave: the run, and whether it is an earlier run found by its request key.</summary>
/// <param name="RunId">The run started, or the earlier run of the same key; empty when <paramref name="Stale"/>.</param>
/// <param name="Version">The workflow version it runs.</param>
/// <param name="Duplicate">An earlier request with the same key started <paramref name="RunId"/>.</param>
/// <param name="Stale">
/// With <see cref="LaunchOptions.RequireLatest"/>: the workflow was archived or has a newer version, so nothing was
/// stored; look the trigger up again.
/// </param>
/// <param name="OverQuota">
/// The workspace has as many runs in flight as its quota (<see cref="RunQuotaOptions"/>) allows: nothing was stored.
/// </param>
public sealed record LaunchedRun(Guid RunId, int Version, bool Duplicate, bool Stale = false, bool OverQuota = false);

/// <summary>How <see cref="RunLauncher"/> starts a run.</summary>
/// <param name="NotBefore">The run stays pending until this time (a queued webhook); null or past: start now.</param>
/// <param name="LookFirst">
/// Look the key up before inserting. False saves a round trip when the caller just claimed the key in a cache; a
/// collision is then found by the primary key and answered the same way.
/// </param>
/// <param name="RequireLatest">
/// Insert only if the version is still the workflow's latest and the workflow is not archived, checked in the same
/// statement as the insert: a trigger found through a cache can never start a run of an archived or outdated
/// definition.
/// </param>
/// <param name="RerunOf">The run this one reruns (<see cref="RunReruns"/>); null for a run started by a trigger.</param>
/// <param name="RerunFrom">The step a rerun starts from; null reruns every step.</param>
/// <param name="Audit">
/// The audit entry of a run started by a person (API start, rerun), given the new run's id and version: inserted in
/// the launch's own batch, so the run and its entry commit together (issue #16). Null for triggers (webhooks, cron).
/// </param>
public sealed record LaunchOptions(
    DateTimeOffset? NotBefore = null,
    bool LookFirst = true,
    bool RequireLatest = false,
    Guid? RerunOf = null,
    string? RerunFrom = null,
    Func<Guid, int, Audit.AuditEntryRow>? Audit = null);

/// <summary>
/// Starts runs for every trigger (API, webhook, cron): the run row (pending), its RunCreated event, its StartRun
/// message (outbox) and, when the request has a key, the deduplication row commit together. So a request answered
/// 2xx is never lost, and a repeated key returns the first run instead of starting another (the primary key of
/// <c>run_requests</c> is the arbiter).
/// </summary>
/// <remarks>
/// The four inserts go to PostgreSQL as one batch in one round trip: a batch outside an explicit transaction runs in
/// one implicit transaction, so they commit together or not at all (a failed statement rolls back the others). This
/// is the hot path of ingress, so it is written as SQL rather than as a change-tracked <c>SaveChanges</c> (which
/// costs a transaction, a second round trip for the commit and the change tracker). The columns are those of the
/// EF model (<see cref="FlowkitDbContext"/>); the outbox row is built by <see cref="OutboxRows.Create"/>, as every
/// row <c>EfOutbox</c> writes, and the relay is woken after the commit as <c>OutboxCommitInterceptor</c> would.
/// <para>
/// The workspace's quota of runs in flight is checked by the batch's first statement (<c>flowkit_require_run_quota</c>
/// of migration <c>20261203000502_RunsInFlightQuota</c>, which reads a trigger-kept count): over it, the batch stores
/// nothing and the caller gets <see cref="LaunchedRun.OverQuota"/>. Concurrent launches each see the count before
/// the others commit, so the quota can be passed by as many launches as commit at the same moment.
/// </para>
/// </remarks>
public sealed class RunLauncher(
    FlowkitDbContext db,
    OutboxSignal signal,
    Flowkit.Persistence.Sagas.PlanCache plans,
    TimeProvider time,
    IOptions<RunQuotaOptions> quotas,
    IOptions<EngineOptions> engine)
{
    /// <summary>The SQLSTATE <c>flowkit_require_run_quota</c> raises.</summary>
    private const string OverQuotaState = "FKQ01";

    private const string RequireQuota = "SELECT flowkit_require_run_quota($1, $2)";

    private const string InsertRunValues = """
        INSERT INTO runs (id, current_state, workspace, workflow_id, workflow, version, attempt, input, remaining_steps, open_approvals, holds_slot, created_at, rerun_of, rerun_from)
        VALUES ($1, 'Pending', $2, $3, $4, $5, 1, $6, 0, 0, false, $7, $8, $9)
        """;

    private const string InsertRunIfLatest = """
        INSERT INTO runs (id, current_state, workspace, workflow_id, workflow, version, attempt, input, remaining_steps, open_approvals, holds_slot, created_at, rerun_of, rerun_from)
        SELECT $1, 'Pending', $2, $3, $4, $5, 1, $6, 0, 0, false, $7, $8, $9
        FROM workflows WHERE id = $3 AND latest_version = $5 AND archived_at IS NULL
        """;

    private const string InsertEvent = "INSERT INTO run_events (run_id, workspace, type, attempt, timestamp, trace_id) VALUES ($1, $2, $3, 1, $4, $5)";

    private const string InsertQueued = "INSERT INTO run_queue (run_id, workflow_id, enqueued_at, handed_over) VALUES ($1, $2, $3, false)";

    private const string InsertRequest = "INSERT INTO run_requests (workspace, scope, key, run_id, created_at) VALUES ($1, $2, $3, $4, $5)";

    private const string InsertAudit = """
        INSERT INTO audit_log (id, workspace, at, actor_key_id, actor_name, action, target, before, after)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """;

    private const string InsertOutbox = """
        INSERT INTO outbox (message_id, run_id, destination, message_type, body, trace_parent, due_at, token, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """;

    public Task<LaunchedRun> StartAsync(
        WorkflowRow workflow, int version, string inputJson, string? scope, string? key, CancellationToken cancellationToken) =>
        StartAsync(workflow, version, inputJson, scope, key, new LaunchOptions(), cancellationToken);

    /// <summary>
    /// Starts a run as <see cref="StartAsync(WorkflowRow, int, string, string?, string?, CancellationToken)"/> does, with
    /// <paramref name="options"/>: a start time in the future keeps the run pending until then (its StartRun is an
    /// outbox row due at that time), a caller that has just claimed the key elsewhere can skip the lookup, and a
    /// caller that found the workflow through a cache can have the insert check it is still live and latest.
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

        var now = time.GetUtcNow().ToUniversalTime();
        var runId = Guid.CreateVersion7();
        var scheduled = options.NotBefore is { } notBefore && notBefore > now;
        var due = scheduled ? options.NotBefore!.Value.ToUniversalTime() : now;

        // A run of a workflow with a concurrency limit joins the line when it is created, so runs start in the
        // order they were requested, whatever order the engine receives their StartRun messages in.
        var limited = (await plans.GetAsync(db, workflow.Id, version, cancellationToken)).Options.ConcurrencyLimit is not null;

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var batch = connection.CreateBatch();
            if (db.Database.CurrentTransaction is { } transaction)
            {
                batch.Transaction = (NpgsqlTransaction)transaction.GetDbTransaction();
            }

            var quota = quotas.Value.For(workflow.Workspace);
            if (quota > 0)
            {
                Add(batch, RequireQuota, Text(workflow.Workspace), new NpgsqlParameter { Value = (long)quota, NpgsqlDbType = NpgsqlDbType.Bigint });
            }

            Add(batch, options.RequireLatest ? InsertRunIfLatest : InsertRunValues,
                Uuid(runId), Text(workflow.Workspace), Uuid(workflow.Id), Text(workflow.Name),
                new NpgsqlParameter { Value = version, NpgsqlDbType = NpgsqlDbType.Integer },
                new NpgsqlParameter { Value = inputJson, NpgsqlDbType = NpgsqlDbType.Jsonb }, Time(now), Uuid(options.RerunOf), Text(options.RerunFrom));

            // Inserted only if the run was: otherwise its foreign key fails and the whole batch rolls back.
            var traceId = Activity.Current?.TraceId.ToString();
            Add(batch, InsertEvent, Uuid(runId), Text(workflow.Workspace), Text(RunEventTypes.RunCreated), Time(now), Text(traceId));
            if (engine.Value.PublishLifecycleEvents)
            {
                // RunCreated goes on the bus like every other lifecycle event (the engine publishes the rest).
                var created = new RunTimelineAppended
                {
                    RunId = runId,
                    Workspace = workflow.Workspace,
                    Workflow = workflow.Name,
                    Version = version,
                    Timestamp = now,
                    Events =
                    [
                        new RunLifecycleEvent
                        {
                            Type = RunEventTypes.RunCreated, RunId = runId, Workspace = workflow.Workspace, Workflow = workflow.Name,
                            Version = version, Attempt = 1, Timestamp = now, TraceId = traceId,
                        },
                    ],
                };
                var published = OutboxRows.Create(created, OutboxRows.Publish, runId, now);
                Add(batch, InsertOutbox, Uuid(published.MessageId), Uuid(published.RunId), Text(published.Destination),
                    Text(published.MessageType), Text(published.Body), Text(published.TraceParent), Time(published.DueAt),
                    Uuid(published.Token), Time(published.CreatedAt));
            }

            if (limited)
            {
                Add(batch, InsertQueued, Uuid(runId), Uuid(workflow.Id), Time(now));
            }

            if (key is not null)
            {
                Add(batch, InsertRequest, Text(workflow.Workspace), Text(scope!), Text(key), Uuid(runId), Time(now));
            }

            if (options.Audit?.Invoke(runId, version) is { } audit)
            {
                Add(batch, InsertAudit, Uuid(audit.Id), Text(audit.Workspace), Time(audit.At), Uuid(audit.ActorKeyId), Text(audit.ActorName),
                    Text(audit.Action), Text(audit.Target), Json(audit.Before), Json(audit.After));
            }

            // The row EfOutbox writes (built by the same OutboxRows.Create): Send to the run saga's queue, or a timer
            // with a token when due later.
            var row = OutboxRows.Create(new StartRun { RunId = runId, Timestamp = due }, OutboxRows.Queue(EngineQueues.Runs), runId, now, due,
                scheduled ? TimerTokens.For(TimerKinds.Start, runId) : null);
            Add(batch, InsertOutbox, Uuid(row.MessageId), Uuid(row.RunId), Text(row.Destination), Text(row.MessageType), Text(row.Body),
                Text(row.TraceParent), Time(row.DueAt), Uuid(row.Token), Time(row.CreatedAt));

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (key is not null && ex is { SqlState: PostgresErrorCodes.UniqueViolation, TableName: "run_requests" })
        {
            // A concurrent request with the same key committed first: it started the run; this one is its duplicate.
            return await FindAsync(workflow.Workspace, scope!, key, cancellationToken)
                ?? throw new InvalidOperationException($"Request key '{key}' collided but its run cannot be found.", ex);
        }
        catch (PostgresException ex) when (ex.SqlState == OverQuotaState)
        {
            // A repeated request is answered with its first run even at the quota (the key may not have been looked
            // up first); only a new run is refused.
            return (key is null ? null : await FindAsync(workflow.Workspace, scope!, key, cancellationToken))
                ?? new LaunchedRun(Guid.Empty, version, false, OverQuota: true);
        }
        catch (PostgresException ex) when (options.RequireLatest && ex is { SqlState: PostgresErrorCodes.ForeignKeyViolation, TableName: "run_events" })
        {
            return new LaunchedRun(Guid.Empty, version, false, Stale: true);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        if (db.Database.CurrentTransaction is null)
        {
            signal.Notify(due);
        }
        else
        {
            // Inside the caller's transaction: the commit interceptor wakes the relay when it commits.
            db.NoteOutboxDue(due);
        }

        return new LaunchedRun(runId, version, false);
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

    private static void Add(NpgsqlBatch batch, string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        batch.BatchCommands.Add(command);
    }

    private static NpgsqlParameter Uuid(Guid? value) => new() { Value = value is null ? DBNull.Value : value.Value, NpgsqlDbType = NpgsqlDbType.Uuid };

    private static NpgsqlParameter Text(string? value) => new() { Value = value is null ? DBNull.Value : value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Json(string? value) => new() { Value = value is null ? DBNull.Value : value, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static NpgsqlParameter Time(DateTimeOffset value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
