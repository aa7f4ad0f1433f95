using System.Text.Json;
using Flowkit.Sagas;
using Flowkit.Sagas.Planning;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Sagas;

/// <summary>
/// The run saga's rows, read and written through the message's <see cref="FlowkitDbContext"/> so they commit with
/// the saga. Rows already read in this message are served from memory: one transition reads each row once.
/// </summary>
internal sealed class RunStore(FlowkitDbContext db, PlanCache plans, Flowkit.Persistence.Secrets.SecretStore secrets) : IRunStore
{
    private readonly Dictionary<(Guid RunId, string StepId), StepRow> _steps = [];

    private readonly Dictionary<(Guid RunId, string StepId, int Index), StepItemRow> _items = [];

    public ValueTask<RunPlan> GetPlanAsync(Guid workflowId, int version, CancellationToken cancellationToken) =>
        plans.GetAsync(db, workflowId, version, cancellationToken);

    public async Task<IReadOnlyDictionary<string, StepRow>> GetStepsAsync(Guid runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stepIds);
        var result = new Dictionary<string, StepRow>(stepIds.Count, StringComparer.Ordinal);
        List<string>? missing = null;
        foreach (var id in stepIds)
        {
            if (_steps.TryGetValue((runId, id), out var row))
            {
                result[id] = row;
            }
            else
            {
                (missing ??= []).Add(id);
            }
        }

        if (missing is not null)
        {
            var loaded = await db.Steps.Where(s => s.RunId == runId && missing.Contains(s.StepId)).ToListAsync(cancellationToken);
            foreach (var row in loaded)
            {
                _steps[(runId, row.StepId)] = row;
                result[row.StepId] = row;
            }
        }

        return result;
    }

    public void AddSteps(IEnumerable<StepRow> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        foreach (var row in steps)
        {
            _steps[(row.RunId, row.StepId)] = row;
            db.Steps.Add(row);
        }
    }

    public void AddEvent(RunEventRow runEvent) => db.RunEvents.Add(runEvent);

    public async Task CancelOpenStepsAsync(Guid runId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        StepStatus[] open = [StepStatus.Pending, StepStatus.Running, StepStatus.Retrying, StepStatus.Waiting];
        await db.Steps
            .Where(s => s.RunId == runId && open.Contains(s.Status))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StepStatus.Cancelled).SetProperty(s => s.FinishedAt, at), cancellationToken);

        // Items in flight of for-each steps (not those never started: they stay pending). The predicate is the partial
        // index's, so this touches at most each step's concurrency of rows, not its list.
        await db.Database.ExecuteSqlAsync($"""
            UPDATE run_step_items SET status = 'cancelled', finished_at = {at}, deadline_at = NULL
            WHERE run_id = {runId} AND (status IN ('running', 'retrying') OR (status = 'pending' AND attempt > 0))
            """, cancellationToken);

        // Rows read or added in this transition are saved after this statement; keep them in step with it.
        foreach (var row in _steps.Values.Where(r => r.RunId == runId && !RunScheduler.IsTerminal(r.Status)))
        {
            row.Status = StepStatus.Cancelled;
            row.FinishedAt = at;
        }

        foreach (var item in _items.Values.Where(r => r.RunId == runId && r.Status is StepStatus.Running or StepStatus.Retrying
            || (r.Status == StepStatus.Pending && r.Attempt > 0)))
        {
            item.Status = StepStatus.Cancelled;
            item.FinishedAt = at;
            item.DeadlineAt = null;
        }
    }

    public void AddAttempt(StepAttemptRow attempt) => db.Attempts.Add(attempt);

    public void AddApproval(ApprovalRow approval) => db.Approvals.Add(approval);

    public async Task<bool> TryExpireApprovalAsync(Guid runId, string stepId, int attempt, DateTimeOffset at, CancellationToken cancellationToken) =>
        await db.Approvals
            .Where(a => a.RunId == runId && a.StepId == stepId && a.Attempt == attempt && a.Decision == null)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Decision, "expired").SetProperty(a => a.DecidedAt, at), cancellationToken) == 1;

    public async Task<IReadOnlyList<StepRow>> GetIdleStepsAsync(Guid runId, CancellationToken cancellationToken)
    {
        var rows = await db.Steps
            .Where(s => s.RunId == runId && ((s.Status == StepStatus.Pending && s.PendingNeeds == 0) || s.Status == StepStatus.Waiting))
            .ToListAsync(cancellationToken);
        var result = new List<StepRow>(rows.Count);
        foreach (var row in rows)
        {
            // A row this transition read before is the same tracked instance; keep serving it.
            result.Add(_steps.TryGetValue((runId, row.StepId), out var known) ? known : _steps[(runId, row.StepId)] = row);
        }

        return result;
    }

    public async Task<IReadOnlyList<ApprovalRow>> GetApprovalsAsync(Guid runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken) =>
        await db.Approvals.AsNoTracking().Where(a => a.RunId == runId && stepIds.Contains(a.StepId)).ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<StepRow>> GetRecordedStepsAsync(Guid runId, CancellationToken cancellationToken) =>
        await db.Steps.AsNoTracking().Where(s => s.RunId == runId).ToListAsync(cancellationToken);

    public async Task AddItemsAsync(Guid runId, string stepId, JsonElement list, CancellationToken cancellationToken)
    {
        var json = list.GetRawText();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO run_step_items (run_id, step_id, index, value, status)
            SELECT {runId}, {stepId}, (e.ordinality - 1)::integer, e.value, 'pending'
            FROM jsonb_array_elements({json}::jsonb) WITH ORDINALITY AS e(value, ordinality)
            """, cancellationToken);
    }

    public async Task<StepItemRow?> GetItemAsync(Guid runId, string stepId, int index, CancellationToken cancellationToken)
    {
        if (_items.TryGetValue((runId, stepId, index), out var known))
        {
            return known;
        }

        var row = await db.StepItems.SingleOrDefaultAsync(i => i.RunId == runId && i.StepId == stepId && i.Index == index, cancellationToken);
        if (row is not null)
        {
            _items[(runId, stepId, index)] = row;
        }

        return row;
    }

    public async Task<IReadOnlyList<StepItemRow>> GetHeldItemsAsync(Guid runId, string stepId, CancellationToken cancellationToken)
    {
        // Written as the partial index's predicate (in flight), then narrowed: reads at most the step's concurrency of rows.
        var rows = await db.StepItems
            .FromSql($"""
                SELECT * FROM run_step_items
                WHERE run_id = {runId} AND step_id = {stepId} AND (status IN ('running', 'retrying') OR (status = 'pending' AND attempt > 0))
                """)
            .ToListAsync(cancellationToken);
        var result = new List<StepItemRow>();
        foreach (var row in rows.Where(r => r.Status == StepStatus.Pending))
        {
            result.Add(_items.TryGetValue((runId, stepId, row.Index), out var known) ? known : _items[(runId, stepId, row.Index)] = row);
        }

        return result;
    }

    public async Task<string> GetItemOutputsAsync(Guid runId, string stepId, CancellationToken cancellationToken)
    {
        // This transition ended the last item: write it (and the rest of the transition so far) first, inside the
        // same transaction, so the list below includes it.
        await db.SaveChangesAsync(cancellationToken);
        return await db.Database.SqlQuery<string>($"""
            SELECT coalesce(jsonb_agg(
                CASE WHEN status = 'succeeded' THEN coalesce(output, 'null'::jsonb)
                     ELSE jsonb_build_object('error', jsonb_build_object('message', error, 'code', error_code)) END
                ORDER BY index), '[]'::jsonb)::text AS "Value"
            FROM run_step_items WHERE run_id = {runId} AND step_id = {stepId}
            """).SingleAsync(cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, string>> GetSealedSecretsAsync(string workspace, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
        secrets.GetSealedSecretsAsync(workspace, names, cancellationToken);
}
