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

    /// <summary>
    /// StartRun: create the steps, set the run timeout, dispatch the roots. A second StartRun changes nothing. A rerun
    /// from a step is given the steps of the run it reruns (<paramref name="recorded"/>) and starts from their results
    /// (<see cref="StartRerun"/>).
    /// </summary>
    public static RunDecision OnStartRun(RunFacts run, RunPlan plan, DecisionContext context, IReadOnlyDictionary<string, StepState>? recorded = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        if (run.StartedAt is not null)
        {
            return RunDecision.None;
        }

        if (run.RerunOf is { } rerunOf && recorded is not null)
        {
            return StartRerun(run, plan, rerunOf, recorded, context);
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

    /// <summary>
    /// StartRun of a rerun from a step: the steps <see cref="RerunPlanner.Reused"/> names are created with the result
    /// recorded in run <paramref name="rerunOf"/> (not dispatched; the timeline shows each as StepReused); every other
    /// step starts pending with its counters already moved by the reused steps it needs, and those left with no need
    /// are dispatched (or skipped when none of their needs succeeded, as a branch not taken).
    /// </summary>
    private static RunDecision StartRerun(RunFacts run, RunPlan plan, Guid rerunOf, IReadOnlyDictionary<string, StepState> recorded, DecisionContext context)
    {
        var now = context.Now;
        var reused = RerunPlanner.Reused(plan, run.RerunFrom, recorded.ToDictionary(r => r.Key, r => r.Value.Status, StringComparer.Ordinal));
        var steps = new List<StepState>(plan.Steps.Count);
        var ready = new List<string>();
        var skipped = new List<string>();
        foreach (var step in plan.Steps)
        {
            if (reused.Contains(step.Id))
            {
                var before = recorded[step.Id];
                steps.Add(new StepState(step.Id, step.Index, before.Status, 0, 0, 0)
                {
                    Output = before.Output,
                    ConditionResult = before.ConditionResult,
                    StartedAt = before.StartedAt,
                    FinishedAt = before.FinishedAt,
                    ReusedFrom = rerunOf,
                });
                continue;
            }

            var pending = 0;
            var succeeded = 0;
            foreach (var need in step.Needs)
            {
                if (!reused.Contains(need.StepId))
                {
                    pending++;
                }
                else if (recorded[need.StepId].Status == StepStatus.Succeeded
                    && (need.Branch is null || need.Branch == recorded[need.StepId].ConditionResult))
                {
                    succeeded++;
                }
            }

            var state = new StepState(step.Id, step.Index, StepStatus.Pending, 0, pending, succeeded);
            if (pending == 0 && step.Needs.Count > 0 && succeeded == 0)
            {
                state = state with { Status = StepStatus.Skipped, FinishedAt = now };
                skipped.Add(step.Id);
            }
            else if (pending == 0)
            {
                ready.Add(step.Id);
            }

            steps.Add(state);
        }

        var effects = new List<RunEffect>(reused.Count + ready.Count + (skipped.Count * 3) + 4)
        {
            new RunEffect.AddSteps(steps),
            new RunEffect.RunStarted(now, plan.Steps.Count - reused.Count),
            new RunEffect.RecordEvent(RunEventTypes.RunStarted, now, Data: JsonSerializer.Serialize(new { rerunOf, fromStep = run.RerunFrom, reused = reused.Count })),
        };
        effects.AddRange(steps.Where(s => reused.Contains(s.StepId)).Select(s => new RunEffect.RecordEvent(RunEventTypes.StepReused, now, s.StepId, 0,
            JsonSerializer.Serialize(new { rerunOf, status = s.Status.ToString().ToLowerInvariant() }))));
        if (plan.Options.Timeout is { } runTimeout)
        {
            effects.Add(RunEffect.Schedule(new RunTimedOut { RunId = run.RunId, Timestamp = now + runTimeout }, now + runTimeout,
                TimerTokens.For(TimerKinds.RunTimeout, run.RunId)));
        }

        foreach (var id in skipped)
        {
            effects.Add(new RunEffect.StepEnded(id));
            effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepSkipped, now, id, 0));
        }

        effects.AddRange(ready.Select(id => new RunEffect.Dispatch(id)));
        effects.AddRange(skipped.Select(id => new RunEffect.Propagate(id, SourceOutcome.Skipped, null)));
        return new RunDecision(effects);
    }

    /// <summary>
    /// PauseRun: from now on nothing new is dispatched (<see cref="StepDecisions.Hold"/>); running steps finish and
    /// their results are kept. Pausing a paused or ended run changes nothing.
    /// </summary>
    public static RunDecision OnPauseRun(RunFacts run, PauseRun message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        if (run.Outcome is not null || run.PausedAt is not null)
        {
            return RunDecision.None;
        }

        var effects = new List<RunEffect>
        {
            new RunEffect.PauseChanged(context.Now),
            new RunEffect.RecordEvent(RunEventTypes.RunPaused, context.Now, Data: JsonSerializer.Serialize(new { requestedBy = message.RequestedBy, reason = message.Reason })),
        };
        ToChildRuns(effects, run, RunControl.Pause);
        return new RunDecision(effects);
    }

    /// <summary>
    /// ResumeRun: what the pause held goes on, in this transition. Steps that became ready are dispatched; delays
    /// whose end passed succeed; approvals decided (or, claimed by the activity, expired) while paused take effect;
    /// timers of waiting steps still to come are set again (the same token keeps one timer). A run whose timeout passed
    /// while it was paused fails now. Resuming a run that is not paused changes nothing.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="plan">Its plan.</param>
    /// <param name="message">The request.</param>
    /// <param name="idle">Its steps that were held (<see cref="StepDecisions.IsHeld"/>) or are waiting.</param>
    /// <param name="approvals">The approval requests of its waiting approval steps.</param>
    /// <param name="context">The transition's clock.</param>
    /// <param name="forEach">Its running for-each steps with the items the pause held: those go on, and new items fill the free places.</param>
    public static RunDecision OnResumeRun(
        RunFacts run, RunPlan plan, ResumeRun message, IReadOnlyList<StepState> idle, IReadOnlyList<ApprovalFacts> approvals, DecisionContext context,
        IReadOnlyList<HeldItems>? forEach = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(idle);
        ArgumentNullException.ThrowIfNull(approvals);
        ArgumentNullException.ThrowIfNull(context);
        if (run.Outcome is not null || run.PausedAt is not { } pausedAt)
        {
            return RunDecision.None;
        }

        var now = context.Now;
        var resumed = run with { PausedAt = null };
        var steps = idle.OrderBy(s => s.Index).ToList();
        var effects = new List<RunEffect>
        {
            new RunEffect.PauseChanged(null),
            new RunEffect.RecordEvent(RunEventTypes.RunResumed, now, Data: JsonSerializer.Serialize(new
            {
                requestedBy = message.RequestedBy,
                pausedAt,
                released = steps.Where(s => StepDecisions.IsHeld(s) || Due(plan, s, approvals, now)).Select(s => s.StepId).ToArray(),
            })),
        };
        ToChildRuns(effects, run, RunControl.Resume);

        if (plan.Options.Timeout is { } timeout && run.StartedAt is { } started)
        {
            if (started + timeout <= now)
            {
                Fail(effects, resumed, plan, $"The run did not finish within its timeout of {timeout} (it fell due while the run was paused).", now);
                return new RunDecision(effects);
            }

            // Its timer may have fired (and been ignored) while paused: set it again; the same token keeps one timer.
            effects.Add(RunEffect.Schedule(new RunTimedOut { RunId = run.RunId, Timestamp = started + timeout }, started + timeout,
                TimerTokens.For(TimerKinds.RunTimeout, run.RunId)));
        }

        foreach (var step in steps)
        {
            var decision = Release(resumed, plan, step, approvals, context);
            effects.AddRange(decision.Effects);
            if (decision.Of<RunEffect.RunEnded>().Any())
            {
                return new RunDecision(effects); // a rejection failed the run: nothing more of it moves
            }
        }

        foreach (var held in forEach ?? [])
        {
            effects.AddRange(ItemDecisions.Release(plan, held.Step, held.Items));
        }

        return new RunDecision(effects);
    }

    /// <summary>What resuming means for one held or waiting step.</summary>
    private static RunDecision Release(RunFacts run, RunPlan plan, StepState step, IReadOnlyList<ApprovalFacts> approvals, DecisionContext context)
    {
        var now = context.Now;
        if (StepDecisions.IsHeld(step))
        {
            return new RunDecision([new RunEffect.Dispatch(step.StepId)]);
        }

        if (step.Status != StepStatus.Waiting)
        {
            return RunDecision.None;
        }

        var type = plan[step.StepId].Type;
        if (type == StepTypes.Delay && step.DeadlineAt is { } until)
        {
            if (until <= now)
            {
                var elapsed = StepDecisions.OnDelayElapsed(plan, step, new DelayElapsed { RunId = run.RunId, StepId = step.StepId, Attempt = step.Attempt, Timestamp = until }, context);
                return new RunDecision([new RunEffect.CancelTimer(TimerTokens.For(TimerKinds.Delay, run.RunId, step.StepId, step.Attempt)), .. elapsed.Effects]);
            }

            return new RunDecision([RunEffect.Schedule(new DelayElapsed { RunId = run.RunId, StepId = step.StepId, Attempt = step.Attempt, Timestamp = until },
                until, TimerTokens.For(TimerKinds.Delay, run.RunId, step.StepId, step.Attempt))]);
        }

        if (type != StepTypes.Approval || approvals.FirstOrDefault(a => a.StepId == step.StepId && a.Attempt == step.Attempt) is not { } approval)
        {
            return RunDecision.None;
        }

        switch (approval.Decision)
        {
            case "approved" or "rejected":
                return StepDecisions.OnApprovalDecided(run, plan, step, new DecideApproval
                {
                    RunId = run.RunId,
                    StepId = step.StepId,
                    Attempt = step.Attempt,
                    Approved = approval.Decision == "approved",
                    DecidedBy = approval.DecidedBy,
                    Comment = approval.Comment,
                    Timestamp = approval.DecidedAt ?? now,
                }, context);
            case "expired":
                return StepDecisions.OnApprovalExpired(run, plan, step,
                    new ApprovalExpired { RunId = run.RunId, StepId = step.StepId, Attempt = step.Attempt, Timestamp = approval.ExpiresAt ?? now }, true, context);
            default:
                return approval.ExpiresAt is { } expiry
                    ? new RunDecision([RunEffect.Schedule(new ApprovalExpired { RunId = run.RunId, StepId = step.StepId, Attempt = step.Attempt, Timestamp = expiry },
                        expiry, TimerTokens.For(TimerKinds.Approval, run.RunId, step.StepId, step.Attempt))])
                    : RunDecision.None;
        }
    }

    /// <summary>Whether a waiting step fell due while the run was paused (a delay's end passed, an approval was decided or expired).</summary>
    private static bool Due(RunPlan plan, StepState step, IReadOnlyList<ApprovalFacts> approvals, DateTimeOffset now) =>
        step.Status == StepStatus.Waiting && (plan[step.StepId].Type == StepTypes.Delay
            ? step.DeadlineAt <= now
            : approvals.Any(a => a.StepId == step.StepId && a.Attempt == step.Attempt && a.Decision is not null));

    /// <summary>
    /// THE HOOK for child runs (issue #12, sub-workflows): a pause or resume of a run propagates to the child runs its
    /// <c>type: workflow</c> steps started. When child runs exist, add here one effect per open child (a PauseRun or
    /// ResumeRun sent to the run saga's queue for the child's run id, e.g. <c>new RunEffect.SendWork(EngineQueues.Runs, ...)</c>
    /// or an effect of its own), read from the parent's waiting workflow steps. Today no step starts a child run, so
    /// it adds nothing.
    /// </summary>
#pragma warning disable IDE0060 // The parameters are the hook's inputs for child runs (see the summary).
    private static void ToChildRuns(List<RunEffect> effects, RunFacts run, RunControl control)
#pragma warning restore IDE0060
    {
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
