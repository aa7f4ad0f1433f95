using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Decisions;

/// <summary>
/// Pure decisions about the run as a whole: start, settle (finish when nothing remains), cancel, run timeout. No
/// services, no I/O, no clock: a function of the run's facts, its plan, the event and <see cref="DecisionContext"/>.
/// </summary>
internal static class RunDecisions
{
    /// <summary>
    /// The workflow's concurrency limit when the run must take a slot before it starts (the driver asks
    /// <see cref="IConcurrencySlots"/>, which puts the run in line when none is free); null when it needs none.
    /// </summary>
    public static int? SlotNeeded(RunFacts run, RunPlan plan)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        return run.StartedAt is null && !run.HoldsSlot ? plan.Options.ConcurrencyLimit : null;
    }

    /// <summary>StartRun: create the steps, set the run timeout, dispatch the roots. A second StartRun changes nothing.</summary>
    public static RunDecision OnStartRun(RunFacts run, RunPlan plan, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        if (run.StartedAt is not null)
        {
            return RunDecision.None;
        }

        var now = context.Now;
        var steps = RunScheduler.Initial(plan)
            .Select(c => new StepState(c.StepId, plan[c.StepId].Index, c.Status, 0, c.PendingNeeds, c.SucceededNeeds))
            .ToArray();
        var effects = new List<RunEffect>(plan.Roots.Count + 4)
        {
            new RunEffect.AddSteps(steps),
            new RunEffect.RunStarted(now, plan.Steps.Count),
            new RunEffect.RecordEvent(RunEventTypes.RunStarted, now),
        };
        if (plan.CallbackSteps.Count > 0)
        {
            effects.Add(new RunEffect.OpenCallbacks(plan.CallbackSteps));
        }

        if (plan.Options.Timeout is { } runTimeout)
        {
            effects.Add(RunEffect.Schedule(new RunTimedOut { RunId = run.RunId, Timestamp = now + runTimeout }, now + runTimeout,
                TimerTokens.For(TimerKinds.RunTimeout, run.RunId)));
        }

        effects.AddRange(plan.Roots.Select(root => new RunEffect.Dispatch(root.Id)));
        return new RunDecision(effects);
    }

    /// <summary>After every transition: a started run with no step left and no outcome yet has succeeded.</summary>
    public static RunDecision Settle(RunFacts run, RunPlan plan, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        if (run.Outcome is not null || run.StartedAt is null || run.RemainingSteps != 0)
        {
            return RunDecision.None;
        }

        var effects = new List<RunEffect>(4)
        {
            new RunEffect.RunEnded(RunOutcome.Succeeded, null, context.Now),
            new RunEffect.CancelTimers(),
        };
        FreeSlot(effects, run, plan);
        effects.Add(new RunEffect.RecordEvent(RunEventTypes.RunSucceeded, context.Now));
        return new RunDecision(effects);
    }

    /// <summary>CancelRun: the run ends cancelled; open steps are cancelled and workers told to stop.</summary>
    public static RunDecision OnCancelRun(RunFacts run, RunPlan plan, CancelRun message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        var effects = new List<RunEffect>(8);
        EndEarly(effects, run, plan, RunOutcome.Cancelled, message.Reason is null ? "Cancelled." : $"Cancelled: {message.Reason}",
            RunEventTypes.RunCancelled, JsonSerializer.Serialize(new { requestedBy = message.RequestedBy, reason = message.Reason }), context.Now);
        return new RunDecision(effects);
    }

    /// <summary>RunTimedOut: the run fails.</summary>
    public static RunDecision OnRunTimedOut(RunFacts run, RunPlan plan, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        var effects = new List<RunEffect>(8);
        Fail(effects, run, plan, $"The run did not finish within its timeout of {plan.Options.Timeout}.", context.Now);
        return new RunDecision(effects);
    }

    /// <summary>Adds the effects of failing the run with <paramref name="error"/>.</summary>
    internal static void Fail(List<RunEffect> effects, RunFacts run, RunPlan plan, string error, DateTimeOffset now) =>
        EndEarly(effects, run, plan, RunOutcome.Failed, error, RunEventTypes.RunFailed, JsonSerializer.Serialize(new { error }), now);

    /// <summary>Ends the run before every step ended (failed or cancelled): nothing of it starts afterwards.</summary>
    private static void EndEarly(
        List<RunEffect> effects, RunFacts run, RunPlan plan, RunOutcome outcome, string error, string eventType, string data, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        effects.Add(new RunEffect.RunEnded(outcome, error, now));
        effects.Add(new RunEffect.CancelOpenSteps(now));
        effects.Add(new RunEffect.CancelTimers());

        // Steps dispatched earlier in this same transition (a fan-out whose later branch failed the run) must not
        // reach a worker: their rows are cancelled above, so their work is dropped before it is committed.
        effects.Add(new RunEffect.DiscardWork());
        effects.Add(new RunEffect.StopWork(new StepExecutionCancelled { RunId = run.RunId, Timestamp = now }));
        FreeSlot(effects, run, plan);
        effects.Add(new RunEffect.RecordEvent(eventType, now, Data: data));
    }

    /// <summary>A run that ends gives its slot back, or leaves the line if it never started.</summary>
    private static void FreeSlot(List<RunEffect> effects, RunFacts run, RunPlan plan)
    {
        if (plan.Options.ConcurrencyLimit is not { } limit)
        {
            return;
        }

        if (run.HoldsSlot)
        {
            effects.Add(new RunEffect.ReleaseSlot(limit));
        }
        else if (run.StartedAt is null)
        {
            effects.Add(new RunEffect.LeaveLine(limit));
        }
    }
}
