using Flowkit.Contracts;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Sagas;

/// <summary>
/// Concurrency slots per workflow: a counter row per limited workflow (<c>workflow_slots</c>) and a line of waiting
/// runs (<c>run_queue</c>). Every operation first locks the workflow's counter row, so taking, handing over and
/// freeing slots of one workflow happen one at a time and the counter always equals the runs holding a slot plus the
/// runs handed one (<c>handed_over</c>) whose StartRun is on its way. Whenever a slot is free, the oldest run in line
/// that may start now gets it: a run queued with a not-before time (an <c>overflow: queue</c> webhook, whose StartRun
/// is still a timer in the outbox) is passed over until its time, and never holds a slot early.
/// Everything happens in the saga's transaction.
/// </summary>
internal sealed class ConcurrencySlots(FlowkitDbContext db, IOutbox outbox) : IConcurrencySlots
{
    private static readonly string StartRunType = typeof(StartRun).FullName!;

    public async Task<bool> TryAcquireAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var running = await LockCounterAsync(run.WorkflowId, cancellationToken);

        // Handed a slot by a run that finished: it is already counted.
        var handed = await db.Database.ExecuteSqlAsync(
            $"DELETE FROM run_queue WHERE run_id = {run.CorrelationId} AND handed_over", cancellationToken);
        if (handed == 1)
        {
            return true;
        }

        // In line by creation time (runs join the line when created, see RunLauncher), so runs start in request order.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO run_queue (workflow_id, run_id, enqueued_at, handed_over)
            VALUES ({run.WorkflowId}, {run.CorrelationId}, {run.CreatedAt}, false) ON CONFLICT DO NOTHING
            """, cancellationToken);
        var (took, _) = await FillAsync(run.WorkflowId, running, limit, now, run.CorrelationId, cancellationToken);
        return took;
    }

    public async Task ReleaseAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var running = await LockCounterAsync(run.WorkflowId, cancellationToken);
        running = await FreeAsync(run.WorkflowId, running, cancellationToken);
        await FillAsync(run.WorkflowId, running, limit, now, null, cancellationToken);
    }

    public async Task LeaveAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var running = await LockCounterAsync(run.WorkflowId, cancellationToken);
        var left = await db.Database.SqlQuery<bool>(
            $"DELETE FROM run_queue WHERE run_id = {run.CorrelationId} RETURNING handed_over AS \"Value\"").ToListAsync(cancellationToken);
        if (left is [true])
        {
            // Handed a slot it never used: pass it on.
            running = await FreeAsync(run.WorkflowId, running, cancellationToken);
        }

        // Leaving the line may let the next run start (a slot was free while this run stood first in line).
        await FillAsync(run.WorkflowId, running, limit, now, null, cancellationToken);
    }

    public async Task<(int Before, int After, int Handed)> ReconcileAsync(Guid workflowId, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = await LockCounterAsync(workflowId, cancellationToken);

        // Under the counter lock no transition of this workflow changes who holds a slot, so this count is exact.
        var held = (await db.Database.SqlQuery<int>($"""
            SELECT ((SELECT count(*) FROM runs WHERE workflow_id = {workflowId} AND holds_slot)
                  + (SELECT count(*) FROM run_queue WHERE workflow_id = {workflowId} AND handed_over))::int AS "Value"
            """).ToListAsync(cancellationToken)).Single();
        if (held != before)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE workflow_slots SET running = {held} WHERE workflow_id = {workflowId}", cancellationToken);
        }

        var (_, handed) = await FillAsync(workflowId, held, limit, now, null, cancellationToken);
        return (before, held + handed, handed);
    }

    /// <summary>Creates the counter row if needed and locks it for the rest of the transaction; returns its value.</summary>
    private async Task<int> LockCounterAsync(Guid workflowId, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO workflow_slots (workflow_id, running) VALUES ({workflowId}, 0) ON CONFLICT DO NOTHING", cancellationToken);
        var running = await db.Database.SqlQuery<int>(
            $"SELECT running AS \"Value\" FROM workflow_slots WHERE workflow_id = {workflowId} FOR UPDATE").ToListAsync(cancellationToken);
        return running.Single();
    }

    private async Task<int> FreeAsync(Guid workflowId, int running, CancellationToken cancellationToken)
    {
        if (running == 0)
        {
            return 0;
        }

        await db.Database.ExecuteSqlAsync(
            $"UPDATE workflow_slots SET running = running - 1 WHERE workflow_id = {workflowId}", cancellationToken);
        return running - 1;
    }

    /// <summary>
    /// Gives free slots to the oldest runs in line that may start now. <paramref name="self"/> (the run whose StartRun
    /// this is) takes its slot directly; others are handed theirs with a StartRun. True when <paramref name="self"/>
    /// got a slot; with how many other runs were handed one.
    /// </summary>
    private async Task<(bool TookSelf, int Handed)> FillAsync(Guid workflowId, int running, int limit, DateTimeOffset now, Guid? self, CancellationToken cancellationToken)
    {
        var free = limit - running;
        if (free <= 0)
        {
            return (false, 0);
        }

        // A run whose StartRun is still a future timer (a not-before time) may not start yet.
        var next = await db.Database.SqlQuery<Guid>($"""
            SELECT q.run_id AS "Value" FROM run_queue q
            WHERE q.workflow_id = {workflowId} AND NOT q.handed_over
              AND NOT EXISTS (
                  SELECT 1 FROM outbox o
                  WHERE o.run_id = q.run_id AND o.token IS NOT NULL AND o.message_type = {StartRunType} AND o.due_at > {now})
            ORDER BY q.enqueued_at, q.run_id
            LIMIT {free}
            FOR UPDATE OF q
            """).ToListAsync(cancellationToken);
        if (next.Count == 0)
        {
            return (false, 0);
        }

        var tookSelf = self is { } me && next.Contains(me);
        var handed = next.Where(id => id != self).ToArray();
        if (tookSelf)
        {
            await db.Database.ExecuteSqlAsync($"DELETE FROM run_queue WHERE run_id = {self!.Value}", cancellationToken);
        }

        if (handed.Length > 0)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE run_queue SET handed_over = true WHERE run_id = ANY({handed})", cancellationToken);
            foreach (var runId in handed)
            {
                outbox.Send(EngineQueues.Runs, new StartRun { RunId = runId, Timestamp = now }, runId);
            }
        }

        await db.Database.ExecuteSqlAsync(
            $"UPDATE workflow_slots SET running = running + {next.Count} WHERE workflow_id = {workflowId}", cancellationToken);
        return (tookSelf, handed.Length);
    }
}
