using Flowkit.Contracts;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Sagas;

/// <summary>
/// Concurrency slots per workflow: a counter row per limited workflow (<c>workflow_slots</c>) and a line of waiting
/// runs (<c>run_queue</c>). A finishing run hands its slot straight to the oldest waiting run, so runs start in
/// order and a slot is never both free and wanted. Everything happens in the saga's transaction.
/// </summary>
internal sealed class ConcurrencySlots(FlowkitDbContext db, IOutbox outbox) : IConcurrencySlots
{
    public async Task<bool> TryAcquireAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);

        // Handed a slot by a run that finished: it is already counted.
        var handed = await db.Database.ExecuteSqlAsync(
            $"DELETE FROM run_queue WHERE run_id = {run.CorrelationId} AND handed_over", cancellationToken);
        if (handed == 1)
        {
            return true;
        }

        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO workflow_slots (workflow_id, running) VALUES ({run.WorkflowId}, 0) ON CONFLICT DO NOTHING", cancellationToken);

        // The counter row's lock serialises runs of one workflow; nobody overtakes an older run still in line
        // (runs join the line when created, see RunLauncher).
        var taken = await db.Database.ExecuteSqlAsync($"""
            UPDATE workflow_slots SET running = running + 1
            WHERE workflow_id = {run.WorkflowId} AND running < {limit}
              AND NOT EXISTS (
                  SELECT 1 FROM run_queue q
                  WHERE q.workflow_id = {run.WorkflowId} AND NOT q.handed_over AND q.run_id <> {run.CorrelationId}
                    AND (q.enqueued_at, q.run_id) < ({run.CreatedAt}, {run.CorrelationId}))
            """, cancellationToken);
        if (taken == 1)
        {
            await db.Database.ExecuteSqlAsync($"DELETE FROM run_queue WHERE run_id = {run.CorrelationId}", cancellationToken);
            return true;
        }

        // In line by creation time, so runs start in the order they were requested.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO run_queue (workflow_id, run_id, enqueued_at, handed_over)
            VALUES ({run.WorkflowId}, {run.CorrelationId}, {run.CreatedAt}, false) ON CONFLICT DO NOTHING
            """, cancellationToken);
        return false;
    }

    public async Task ReleaseAsync(RunState run, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var next = await db.Database.SqlQuery<Guid>($"""
            UPDATE run_queue SET handed_over = true
            WHERE run_id = (
                SELECT run_id FROM run_queue
                WHERE workflow_id = {run.WorkflowId} AND NOT handed_over
                ORDER BY enqueued_at, run_id
                LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING run_id AS "Value"
            """).ToListAsync(cancellationToken);
        if (next.Count == 1)
        {
            outbox.Send(EngineQueues.Runs, new StartRun { RunId = next[0], Timestamp = now }, next[0]);
            return;
        }

        await db.Database.ExecuteSqlAsync(
            $"UPDATE workflow_slots SET running = running - 1 WHERE workflow_id = {run.WorkflowId} AND running > 0", cancellationToken);
    }

    public async Task LeaveAsync(RunState run, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var left = await db.Database.SqlQuery<bool>(
            $"DELETE FROM run_queue WHERE run_id = {run.CorrelationId} RETURNING handed_over AS \"Value\"").ToListAsync(cancellationToken);
        if (left is [true])
        {
            await ReleaseAsync(run, now, cancellationToken);
        }
    }
}
