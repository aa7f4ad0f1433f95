using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Persistence;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Engine.Watchdog;

/// <summary>
/// Finds runs that stopped making progress and re-drives each by sending, through the outbox, the message that was
/// lost: a pending run with no StartRun on its way, a retrying step whose retry timer is gone, a delay past its end
/// (kept in the step row's deadline) whose timer is gone, a decided approval whose decision never reached the run, an approval past its expiry with no expiry on
/// its way, a running step past its deadline with no timeout on its way. A finding must persist for
/// <see cref="EngineOptions.WatchdogBound"/> before it is acted on (a message may simply be queued behind others).
/// Acting locks the run row (skipping a run in a transition), checks the finding again, and writes the message, a
/// <c>RunRedriven</c> timeline row and nothing else in one transaction; the saga's own state checks make a second
/// copy of any message harmless, so a transition is never applied twice. Slot counters that disagree with the runs
/// holding slots are recounted, and free slots given to the line (see <see cref="IConcurrencySlots"/>).
/// <para>
/// A paused run (docs/run-control.md) is looked at for its work in flight only: a retry whose timer is lost (the
/// re-sent retry is then held by the pause) and a running step past its deadline. Its waiting delays and approvals
/// are not findings: the pause ignores their timers and decisions on purpose, and resuming settles them from their rows.
/// </para>
/// </summary>
internal sealed partial class RunWatchdog(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<EngineOptions> options,
    EngineMetrics metrics,
    ILogger<RunWatchdog> logger) : BackgroundService
{
    /// <summary>When each current finding was first seen by this process.</summary>
    private readonly Dictionary<StuckRun, DateTimeOffset> _seen = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WatchdogEnabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.WatchdogInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var bound = options.Value.WatchdogBound;
        List<StuckRun> found;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
            found = await FindAsync(db, null, now, cancellationToken);
        }

        var current = found.ToHashSet();
        foreach (var gone in _seen.Keys.Where(k => !current.Contains(k)).ToList())
        {
            _seen.Remove(gone);
        }

        foreach (var stuck in found)
        {
            if (!_seen.TryGetValue(stuck, out var since))
            {
                _seen[stuck] = now;
                continue;
            }

            if (now - since < bound)
            {
                continue;
            }

            _seen.Remove(stuck);
            if (stuck.Kind == StuckKinds.Slots)
            {
                await ReconcileSlotsAsync(stuck, now, cancellationToken);
            }
            else
            {
                await RedriveAsync(stuck, now, cancellationToken);
            }
        }
    }

    private async Task RedriveAsync(StuckRun stuck, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var outbox = scope.ServiceProvider.GetRequiredService<IOutbox>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // The saga holds this lock for every transition: skip a run that is moving, and look again under the lock.
        var workspace = await db.Database
            .SqlQuery<string>($"SELECT workspace AS \"Value\" FROM runs WHERE id = {stuck.RunId} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        if (workspace.Count == 0 || !(await FindAsync(db, stuck.RunId, now, cancellationToken)).Contains(stuck))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return;
        }

        var run = stuck.RunId;
        var step = stuck.StepId ?? "";
        string sent;
        switch (stuck.Kind)
        {
            case StuckKinds.PendingWithoutStart:
                outbox.Send(EngineQueues.Runs, new StartRun { RunId = run, Timestamp = now }, run);
                sent = nameof(StartRun);
                break;
            case StuckKinds.RetryTimerLost:
                // Due at the backoff's end, kept on the step row (a row from before it was kept has none: due now).
                var retryAt = await db.Steps.AsNoTracking().Where(s => s.RunId == run && s.StepId == step)
                    .Select(s => s.DeadlineAt).SingleAsync(cancellationToken) is { } kept && kept > now ? kept : now;
                outbox.Schedule(new StepRetryDue { RunId = run, StepId = step, Attempt = stuck.Attempt + 1, Timestamp = retryAt },
                    retryAt, TimerTokens.For(TimerKinds.Retry, run, step, stuck.Attempt + 1), run);
                sent = nameof(StepRetryDue);
                break;
            case StuckKinds.DelayTimerLost:
                outbox.Schedule(new DelayElapsed { RunId = run, StepId = step, Attempt = stuck.Attempt, Timestamp = now },
                    now, TimerTokens.For(TimerKinds.Delay, run, step, stuck.Attempt), run);
                sent = nameof(DelayElapsed);
                break;
            case StuckKinds.ApprovalExpiryLost:
                outbox.Schedule(new ApprovalExpired { RunId = run, StepId = step, Attempt = stuck.Attempt, Timestamp = now },
                    now, TimerTokens.For(TimerKinds.Approval, run, step, stuck.Attempt), run);
                sent = nameof(ApprovalExpired);
                break;
            case StuckKinds.DeadlinePassed:
                outbox.Send(EngineQueues.Runs, new StepTimedOut { RunId = run, StepId = step, Attempt = stuck.Attempt, Timestamp = now }, run);
                sent = nameof(StepTimedOut);
                break;
            case StuckKinds.ApprovalDecisionLost:
                var decision = await db.Approvals.AsNoTracking()
                    .SingleAsync(a => a.RunId == run && a.StepId == step && a.Attempt == stuck.Attempt, cancellationToken);
                outbox.Send(EngineQueues.Runs, new DecideApproval
                {
                    RunId = run,
                    StepId = step,
                    Attempt = stuck.Attempt,
                    Approved = decision.Decision == "approved",
                    DecidedBy = decision.DecidedBy,
                    Comment = decision.Comment,
                    Timestamp = decision.DecidedAt ?? now,
                }, run);
                sent = nameof(DecideApproval);
                break;
            default:
                await transaction.RollbackAsync(CancellationToken.None);
                return;
        }

        db.RunEvents.Add(new RunEventRow
        {
            RunId = run,
            Workspace = workspace[0],
            Type = RunEventTypes.RunRedriven,
            StepId = stuck.StepId,
            Attempt = stuck.StepId is null ? null : stuck.Attempt,
            Timestamp = now,
            Data = JsonSerializer.Serialize(new { finding = stuck.Kind, resent = sent, bound = options.Value.WatchdogBound }),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        metrics.Redriven(stuck.Kind);
        LogRedriven(logger, run, stuck.Kind, stuck.StepId, stuck.Attempt, sent);
    }

    private async Task ReconcileSlotsAsync(StuckRun stuck, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<IRunStore>();
        var slots = scope.ServiceProvider.GetRequiredService<IConcurrencySlots>();

        // The limit of the workflow's newest version that has runs here (limits are per version; the line is shared).
        var versions = await db.Runs.AsNoTracking().Where(r => r.WorkflowId == stuck.RunId)
            .OrderByDescending(r => r.CreatedAt).Select(r => r.Version).Take(1).ToListAsync(cancellationToken);
        if (versions.Count == 0 || (await store.GetPlanAsync(stuck.RunId, versions[0], cancellationToken)).Options.ConcurrencyLimit is not { } limit)
        {
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (before, after, handed) = await slots.ReconcileAsync(stuck.RunId, limit, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        if (before != after || handed > 0)
        {
            metrics.Redriven(StuckKinds.Slots);
            LogSlotsReconciled(logger, stuck.RunId, before, after, handed);
        }
    }

    /// <summary>Every finding now, or those of one run (<paramref name="runId"/>) when checking again under its lock.</summary>
    private static async Task<List<StuckRun>> FindAsync(FlowkitDbContext db, Guid? runId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = await db.Database.SqlQuery<StuckRun>($"""
            SELECT 'pending-without-start' AS "Kind", r.id AS "RunId", NULL::text AS "StepId", 0 AS "Attempt"
            FROM runs r
            WHERE r.current_state = 'Pending' AND ({runId}::uuid IS NULL OR r.id = {runId})
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.run_id = r.id AND o.message_type = 'Flowkit.Contracts.StartRun' AND o.poisoned_at IS NULL)
              AND NOT EXISTS (SELECT 1 FROM run_queue q WHERE q.run_id = r.id AND NOT q.handed_over)
            UNION ALL
            SELECT CASE s.status WHEN 'retrying' THEN 'retry-timer-lost' WHEN 'running' THEN 'deadline-passed' ELSE 'delay-timer-lost' END,
                   s.run_id, s.step_id, s.attempt
            FROM run_steps s JOIN runs r ON r.id = s.run_id
            WHERE r.current_state IN ('Running', 'Waiting', 'Paused') AND ({runId}::uuid IS NULL OR r.id = {runId})
              AND (s.status = 'retrying'
                   OR (s.status = 'running' AND s.deadline_at < {now})
                   OR (s.status = 'waiting' AND r.current_state <> 'Paused' AND (s.deadline_at IS NULL OR s.deadline_at <= {now}) AND NOT EXISTS (
                       SELECT 1 FROM approvals a WHERE a.run_id = s.run_id AND a.step_id = s.step_id AND a.attempt = s.attempt)
                       -- A callback step waits for a call, not a delay timer (issue #12).
                       AND NOT EXISTS (SELECT 1 FROM run_callbacks c WHERE c.run_id = s.run_id AND c.step_id = s.step_id)))
              AND NOT EXISTS (
                  SELECT 1 FROM outbox o
                  WHERE o.run_id = s.run_id AND o.poisoned_at IS NULL
                    AND o.message_type IN ('Flowkit.Contracts.StepRetryDue', 'Flowkit.Contracts.DelayElapsed', 'Flowkit.Contracts.StepTimedOut')
                    AND (o.body::jsonb ->> 'stepId') = s.step_id)
            UNION ALL
            SELECT CASE WHEN a.decision IS NULL THEN 'approval-expiry-lost' ELSE 'approval-decision-lost' END,
                   a.run_id, a.step_id, a.attempt
            FROM approvals a
            JOIN run_steps s ON s.run_id = a.run_id AND s.step_id = a.step_id AND s.attempt = a.attempt AND s.status = 'waiting'
            JOIN runs r ON r.id = a.run_id
            WHERE r.current_state IN ('Running', 'Waiting') AND ({runId}::uuid IS NULL OR r.id = {runId})
              AND (a.decision IN ('approved', 'rejected') OR (a.decision IS NULL AND a.expires_at < {now}))
              AND NOT EXISTS (
                  SELECT 1 FROM outbox o
                  WHERE o.run_id = a.run_id AND o.poisoned_at IS NULL
                    AND o.message_type = CASE WHEN a.decision IS NULL THEN 'Flowkit.Contracts.ApprovalExpired' ELSE 'Flowkit.Contracts.DecideApproval' END
                    AND (o.body::jsonb ->> 'stepId') = a.step_id)
            UNION ALL
            SELECT 'slots', w.workflow_id, NULL::text, 0
            FROM workflow_slots w
            WHERE {runId}::uuid IS NULL
              AND (w.running <> (SELECT count(*) FROM runs r WHERE r.workflow_id = w.workflow_id AND r.holds_slot)
                              + (SELECT count(*) FROM run_queue q WHERE q.workflow_id = w.workflow_id AND q.handed_over)
                   OR EXISTS (SELECT 1 FROM run_queue q WHERE q.workflow_id = w.workflow_id AND NOT q.handed_over AND q.enqueued_at < {now}))
            """).ToListAsync(cancellationToken);
        return found;
    }

    [LoggerMessage(2401, LogLevel.Warning, "Run {RunId} made no progress ({Finding}, step {StepId}, attempt {Attempt}); the watchdog re-sent {Message}")]
    private static partial void LogRedriven(ILogger logger, Guid runId, string finding, string? stepId, int attempt, string message);

    [LoggerMessage(2402, LogLevel.Warning, "Workflow {WorkflowId}: slot counter was {Before}, recounted to {After}; {Handed} waiting runs were handed a slot")]
    private static partial void LogSlotsReconciled(ILogger logger, Guid workflowId, int before, int after, int handed);

    [LoggerMessage(2403, LogLevel.Warning, "Watchdog sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
