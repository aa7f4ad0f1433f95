using Flowkit.Persistence.Sagas;
using Flowkit.Sagas;
using Flowkit.Sagas.Planning;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Runs;

/// <summary>
/// Reruns of ended runs (docs/run-control.md): checks what may be rerun and how, then starts the new run through
/// <see cref="RunLauncher"/> with the old run's input, linked to it (<see cref="RunState.RerunOf"/>). Which steps the
/// new run reuses is the saga's decision when it starts (<see cref="RerunPlanner.Reused"/>), from the rows as they are.
/// </summary>
public sealed class RunReruns(FlowkitDbContext db, RunLauncher launcher, PlanCache plans)
{
    /// <summary>The most runs one bulk rerun takes; a window holding more is refused (narrow it).</summary>
    public const int BulkLimit = 100;

    private static readonly string[] Ended = ["Succeeded", "Failed", "Cancelled"];

    /// <summary>Reruns run <paramref name="runId"/> of <paramref name="workspace"/> from <paramref name="fromStep"/> (null: from the start).</summary>
    /// <param name="runId">The ended run to rerun.</param>
    /// <param name="workspace">The caller's workspace (another workspace's run is not found).</param>
    /// <param name="fromStep">The step to run again with everything downstream of it; null reruns every step.</param>
    /// <param name="version">The workflow version of the new run; null keeps the old run's.</param>
    /// <param name="key">An Idempotency-Key: the same key for the same run answers with the first rerun.</param>
    /// <param name="audit">The audit entry of the new run, given its id and version (committed with it); null for none.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<RerunOutcome> RerunAsync(
        Guid runId, string workspace, string? fromStep, int? version, string? key, Func<Guid, int, Audit.AuditEntryRow>? audit, CancellationToken cancellationToken)
    {
        var old = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == runId && r.Workspace == workspace, cancellationToken);
        return old is null
            ? RerunOutcome.Refused(RerunRefusal.NotFound, $"There is no run {runId}.")
            : await RerunAsync(old, fromStep, version, key, audit, cancellationToken);
    }

    private async Task<RerunOutcome> RerunAsync(
        RunState old, string? fromStep, int? version, string? key, Func<Guid, int, Audit.AuditEntryRow>? audit, CancellationToken cancellationToken)
    {
        if (!Ended.Contains(old.CurrentState))
        {
            return RerunOutcome.Refused(RerunRefusal.Conflict,
                $"Run {old.CorrelationId} is {old.CurrentState.ToLowerInvariant()}; only a run that has ended (succeeded, failed or cancelled) can be rerun.");
        }

        var workflow = await db.Workflows.AsNoTracking().SingleAsync(w => w.Id == old.WorkflowId, cancellationToken);
        if (workflow.ArchivedAt is not null)
        {
            return RerunOutcome.Refused(RerunRefusal.Conflict, $"The workflow '{workflow.Name}' is archived and starts no new runs.");
        }

        var target = version ?? old.Version;
        if (target < old.Version || target > workflow.LatestVersion)
        {
            return RerunOutcome.Refused(RerunRefusal.Invalid,
                $"Run {old.CorrelationId} ran version {old.Version} of '{workflow.Name}', whose latest is {workflow.LatestVersion}: a rerun takes a version from {old.Version} to {workflow.LatestVersion}, not {target}.",
                "$.version");
        }

        var plan = await plans.GetAsync(db, workflow.Id, target, cancellationToken);
        if (fromStep is not null && !plan.TryGetStep(fromStep, out _))
        {
            return RerunOutcome.Refused(RerunRefusal.Invalid,
                $"Version {target} of '{workflow.Name}' has no step '{fromStep}'; its steps are {string.Join(", ", plan.Steps.Select(s => s.Id))}.", "$.fromStep");
        }

        if (fromStep is not null && target != old.Version
            && RerunPlanner.UpstreamDifference(await plans.GetAsync(db, workflow.Id, old.Version, cancellationToken), plan, fromStep) is { } difference)
        {
            return RerunOutcome.Refused(RerunRefusal.Conflict,
                $"Step '{difference.StepId}' is not the same in version {target} as in version {old.Version} ({difference.Difference}), and a rerun from " +
                $"'{fromStep}' would reuse its result recorded on version {old.Version}. Rerun on version {old.Version}, or from '{difference.StepId}' or a step above it.");
        }

        var launched = await launcher.StartAsync(workflow, target, old.Input, $"rerun:{old.CorrelationId}", key,
            new LaunchOptions(RerunOf: old.CorrelationId, RerunFrom: fromStep, Audit: audit), cancellationToken);
        return launched.OverQuota
            ? RerunOutcome.Refused(RerunRefusal.OverQuota, $"Workspace '{workflow.Workspace}' is at its quota of runs in flight.")
            : new RerunOutcome(launched.RunId, launched.Version, launched.Duplicate, null, null, null);
    }

    /// <summary>
    /// Reruns the runs of workflow <paramref name="workflow"/> that ended in <paramref name="state"/> (Failed or
    /// Cancelled) and were created in [<paramref name="since"/>, <paramref name="until"/>), oldest first, each on its
    /// own version from <paramref name="fromStep"/>. A run already rerun is not rerun again (so repeating the request
    /// is safe). Null when the window holds more than <see cref="BulkLimit"/> such runs (nothing is rerun).
    /// </summary>
    public async Task<IReadOnlyList<BulkRerunResult>?> RerunManyAsync(
        WorkflowRowKey workflow,
        string state,
        DateTimeOffset? since,
        DateTimeOffset? until,
        string? fromStep,
        Func<Guid, int, Audit.AuditEntryRow>? audit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var query = db.Runs.AsNoTracking().Where(r => r.WorkflowId == workflow.Id && r.Workspace == workflow.Workspace && r.CurrentState == state);
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

        var runs = await query.OrderBy(r => r.CreatedAt).ThenBy(r => r.CorrelationId).Take(BulkLimit + 1).ToListAsync(cancellationToken);
        if (runs.Count > BulkLimit)
        {
            return null;
        }

        var ids = runs.Select(r => (Guid?)r.CorrelationId).ToList();
        var earlier = (await db.Runs.AsNoTracking().Where(r => ids.Contains(r.RerunOf)).OrderBy(r => r.CreatedAt)
                .Select(r => new { r.RerunOf, r.CorrelationId }).ToListAsync(cancellationToken))
            .GroupBy(r => r.RerunOf!.Value).ToDictionary(g => g.Key, g => g.First().CorrelationId);
        var results = new List<BulkRerunResult>(runs.Count);
        foreach (var run in runs)
        {
            if (earlier.TryGetValue(run.CorrelationId, out var rerun))
            {
                results.Add(new BulkRerunResult(run.CorrelationId, null, $"Already rerun as run {rerun}."));
                continue;
            }

            var outcome = await RerunAsync(run, fromStep, null, null, audit, cancellationToken);
            results.Add(outcome.Refusal is null
                ? new BulkRerunResult(run.CorrelationId, outcome.RunId, null)
                : new BulkRerunResult(run.CorrelationId, null, outcome.Detail));
        }

        return results;
    }
}

/// <summary>A workflow as a bulk rerun names it.</summary>
public sealed record WorkflowRowKey(Guid Id, string Workspace);

/// <summary>Why a rerun was refused, as the API answers it.</summary>
public enum RerunRefusal
{
    /// <summary>No such run in the workspace (404).</summary>
    NotFound,

    /// <summary>The run has not ended, the workflow is archived, or the newer version changed a reused step (409).</summary>
    Conflict,

    /// <summary>A field of the request is wrong (422, naming it).</summary>
    Invalid,

    /// <summary>The workspace is at its quota of runs in flight (429).</summary>
    OverQuota,
}

/// <summary>What a rerun gave: the new run, or why there is none.</summary>
/// <param name="RunId">The new run (empty when refused).</param>
/// <param name="Version">The version it runs.</param>
/// <param name="Duplicate">The same Idempotency-Key rerun this run before: this is that rerun.</param>
/// <param name="Refusal">Why there is no new run, or null.</param>
/// <param name="Detail">The refusal in words.</param>
/// <param name="Path">The request field at fault, for <see cref="RerunRefusal.Invalid"/>.</param>
public sealed record RerunOutcome(Guid RunId, int Version, bool Duplicate, RerunRefusal? Refusal, string? Detail, string? Path)
{
    internal static RerunOutcome Refused(RerunRefusal refusal, string detail, string? path = null) => new(Guid.Empty, 0, false, refusal, detail, path);
}

/// <summary>One run of a bulk rerun: the new run's id, or why it was not rerun.</summary>
/// <param name="RunId">The run that was to be rerun.</param>
/// <param name="NewRunId">The rerun started, or null.</param>
/// <param name="Reason">Why it was not rerun, or null.</param>
public sealed record BulkRerunResult(Guid RunId, Guid? NewRunId, string? Reason);
