namespace Flowkit.Sagas.Planning;

/// <summary>Status of one step of a run (CONTRACT.md section 3).</summary>
public enum StepStatus
{
    Pending,
    Running,
    Retrying,
    Waiting,
    Succeeded,
    Failed,
    Skipped,
    Cancelled,
}

/// <summary>
/// The scheduling counters of one step: how many of its needs are still unfinished and how many succeeded.
/// Kept per step so that advancing a run touches only the finished step's dependents (DESIGN.md rule 6).
/// </summary>
public sealed record StepCounters(string StepId, StepStatus Status, int PendingNeeds, int SucceededNeeds);

/// <summary>What finishing (or skipping) a step means for the edges leaving it.</summary>
public enum SourceOutcome
{
    /// <summary>Succeeded, or failed with continueOnError: plain edges count as succeeded.</summary>
    Finished,

    /// <summary>Skipped: every edge leaving it counts as skipped.</summary>
    Skipped,
}

/// <summary>The result of propagating one step's end to its dependents.</summary>
/// <param name="Updated">New counters of every dependent that was given.</param>
/// <param name="Ready">Dependents whose needs are all finished with at least one succeeded: dispatch them.</param>
/// <param name="Skipped">Dependents whose needs are all finished and none succeeded: skip them, then propagate from them.</param>
public sealed record Propagation(IReadOnlyList<StepCounters> Updated, IReadOnlyList<string> Ready, IReadOnlyList<string> Skipped);

/// <summary>
/// Pure scheduling decisions over a <see cref="RunPlan"/>: no services, no I/O, no clock.
/// </summary>
public static class RunScheduler
{
    /// <summary>The counters every step starts with; roots are the steps to dispatch first.</summary>
    public static IReadOnlyList<StepCounters> Initial(RunPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Steps.Select(s => new StepCounters(s.Id, StepStatus.Pending, s.Needs.Count, 0)).ToArray();
    }

    /// <summary>
    /// Applies the end of <paramref name="sourceStepId"/> to the edges into its dependents.
    /// </summary>
    /// <param name="plan">The run's plan.</param>
    /// <param name="sourceStepId">The step that finished or was skipped.</param>
    /// <param name="outcome">How it ended.</param>
    /// <param name="conditionResult">For a condition that finished: the branch it took.</param>
    /// <param name="dependents">Current counters of the source's dependents (<see cref="PlanStep.Dependents"/>).</param>
    public static Propagation Propagate(
        RunPlan plan,
        string sourceStepId,
        SourceOutcome outcome,
        bool? conditionResult,
        IReadOnlyDictionary<string, StepCounters> dependents)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(dependents);
        var source = plan[sourceStepId];
        var updated = new List<StepCounters>(source.Dependents.Count);
        var ready = new List<string>();
        var skipped = new List<string>();

        foreach (var dependentId in source.Dependents)
        {
            var counters = dependents[dependentId];
            if (counters.Status != StepStatus.Pending)
            {
                // Already decided (e.g. cancelled with the run): edges into it no longer matter.
                continue;
            }

            var pending = counters.PendingNeeds;
            var succeeded = counters.SucceededNeeds;
            foreach (var need in plan[dependentId].Needs)
            {
                if (!string.Equals(need.StepId, sourceStepId, StringComparison.Ordinal))
                {
                    continue;
                }

                pending--;
                if (EdgeSucceeded(need, outcome, conditionResult))
                {
                    succeeded++;
                }
            }

            var next = counters with { PendingNeeds = pending, SucceededNeeds = succeeded };
            if (pending == 0)
            {
                if (succeeded > 0)
                {
                    ready.Add(dependentId);
                }
                else
                {
                    skipped.Add(dependentId);
                    next = next with { Status = StepStatus.Skipped };
                }
            }

            updated.Add(next);
        }

        return new Propagation(updated, ready, skipped);
    }

    private static bool EdgeSucceeded(Need need, SourceOutcome outcome, bool? conditionResult) =>
        outcome == SourceOutcome.Finished && (need.Branch is null || need.Branch == conditionResult);

    /// <summary>Whether a status ends the step for good.</summary>
    public static bool IsTerminal(StepStatus status) =>
        status is StepStatus.Succeeded or StepStatus.Failed or StepStatus.Skipped or StepStatus.Cancelled;
}
