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

        // Rows read or added in this transition are saved after this statement; keep them in step with it.
        foreach (var row in _steps.Values.Where(r => r.RunId == runId && !RunScheduler.IsTerminal(r.Status)))
        {
            row.Status = StepStatus.Cancelled;
            row.FinishedAt = at;
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

    public Task<IReadOnlyDictionary<string, string>> GetSealedSecretsAsync(string workspace, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
        secrets.GetSealedSecretsAsync(workspace, names, cancellationToken);
}
