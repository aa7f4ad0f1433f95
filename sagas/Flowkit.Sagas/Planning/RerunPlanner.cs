using System.Text.Json;

namespace Flowkit.Sagas.Planning;

/// <summary>
/// Pure rules of a rerun (<c>POST /api/v1/runs/{id}/rerun</c>): which steps run again and which reuse the recorded
/// result of the run they rerun, and whether a newer version may be used. No services, no I/O.
/// </summary>
public static class RerunPlanner
{
    /// <summary><paramref name="stepId"/> and every step that depends on it, directly or through others.</summary>
    public static IReadOnlySet<string> Downstream(RunPlan plan, string stepId)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Closure(plan, [stepId]);
    }

    /// <summary>
    /// The steps a rerun from <paramref name="fromStep"/> (null: from the start) reuses: those not downstream of it
    /// that ended succeeded or skipped in the rerun run (<paramref name="recorded"/>: its step statuses). A step that
    /// did not end that way (failed, cancelled, never ran) runs again, and so does everything downstream of it, since
    /// its result may change.
    /// </summary>
    public static IReadOnlySet<string> Reused(RunPlan plan, string? fromStep, IReadOnlyDictionary<string, StepStatus> recorded)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(recorded);
        if (fromStep is null || !plan.TryGetStep(fromStep, out _))
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        var again = plan.Steps
            .Where(s => !recorded.TryGetValue(s.Id, out var status) || status is not (StepStatus.Succeeded or StepStatus.Skipped))
            .Select(s => s.Id)
            .Append(fromStep);
        var rerun = Closure(plan, again);
        return plan.Steps.Where(s => !rerun.Contains(s.Id)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Whether a rerun from <paramref name="fromStep"/> may run on <paramref name="newer"/> while reusing results
    /// recorded on <paramref name="older"/>: every step of the newer version that is not downstream of
    /// <paramref name="fromStep"/> (the part whose results are reused) must be defined the same in both. Returns the
    /// first step that differs and how, or null when none does.
    /// </summary>
    public static (string StepId, string Difference)? UpstreamDifference(RunPlan older, RunPlan newer, string fromStep)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        var downstream = Downstream(newer, fromStep);
        foreach (var step in newer.Steps.Where(s => !downstream.Contains(s.Id)))
        {
            if (!older.TryGetStep(step.Id, out var before) || before is null)
            {
                return (step.Id, "it is new in this version");
            }

            if (Difference(before, step) is { } difference)
            {
                return (step.Id, difference);
            }
        }

        return null;
    }

    private static string? Difference(PlanStep before, PlanStep after)
    {
        if (!string.Equals(before.Type, after.Type, StringComparison.Ordinal))
        {
            return $"its type changed from {before.Type} to {after.Type}";
        }

        if (!before.Needs.SequenceEqual(after.Needs))
        {
            return "what it needs changed";
        }

        if (!JsonElement.DeepEquals(before.Spec, after.Spec))
        {
            return "its settings changed";
        }

        if (before.Retry != after.Retry || before.Timeout != after.Timeout || before.ContinueOnError != after.ContinueOnError)
        {
            return "its retry, timeout or continueOnError changed";
        }

        return null;
    }

    private static HashSet<string> Closure(RunPlan plan, IEnumerable<string> from)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var id in from)
        {
            if (plan.TryGetStep(id, out _) && seen.Add(id))
            {
                queue.Enqueue(id);
            }
        }

        while (queue.TryDequeue(out var id))
        {
            foreach (var dependent in plan[id].Dependents)
            {
                if (seen.Add(dependent))
                {
                    queue.Enqueue(dependent);
                }
            }
        }

        return seen;
    }
}
