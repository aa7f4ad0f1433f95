using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Decisions;

/// <summary>
/// Pure decisions about steps: an attempt finishing, timing out or being retried, a delay ending, an approval decided
/// or expired, a step dispatched, a step's end reaching its dependents. Each first checks state: a message for an
/// attempt that is not the current one decides nothing (<see cref="RunDecision.None"/>).
/// </summary>
internal static class StepDecisions
{
    /// <summary>Whether <paramref name="step"/> is in <paramref name="expected"/> status on <paramref name="attempt"/>.</summary>
    public static bool IsCurrent([NotNullWhen(true)] StepState? step, int attempt, StepStatus expected) =>
        step is not null && step.Status == expected && step.Attempt == attempt;

    /// <summary>StepFinished from a worker: the attempt succeeded (the step ends) or failed (retry, continue or fail the run).</summary>
    public static RunDecision OnStepFinished(RunFacts run, RunPlan plan, StepState? step, StepFinished message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!IsCurrent(step, message.Attempt, StepStatus.Running))
        {
            return RunDecision.None;
        }

        var effects = new List<RunEffect> { new RunEffect.RecordEvent(RunEventTypes.StepStarted, message.StartedAt, step.StepId, step.Attempt) };
        var started = step with { StartedAt = step.StartedAt ?? message.StartedAt };
        if (message.Succeeded)
        {
            Succeed(effects, plan, started, message.Output, message.Timestamp, message.StartedAt);
        }
        else
        {
            var error = message.Error ?? new StepError("The worker reported a failure without a reason.", false);
            FailAttempt(effects, run, plan, started, error, message.Timestamp, "failed", message.StartedAt, context);
        }

        return new RunDecision(effects);
    }

    /// <summary>
    /// StepTimedOut from the sweeper or the watchdog: no worker reported on the attempt by its deadline (the end of its
    /// delivery window plus its timeout). A live worker that started it in its window reports its own timeout before
    /// then, so silence means the attempt's message waited out an outage (in the outbox or a queue), was lost, or its
    /// worker died. The attempt is sent again, same number, with twice the window (a late copy is not started by
    /// workers), up to <see cref="DecisionContext.MaxDeliveries"/> times; then silence is the attempt's timeout: a live
    /// worker is told to stop, and an answer that still arrives is for an attempt no longer current. A timeout decided
    /// before the current deadline (for an earlier sending) changes nothing.
    /// </summary>
    public static RunDecision OnStepTimedOut(RunFacts run, RunPlan plan, StepState? step, StepTimedOut message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        if (!IsCurrent(step, message.Attempt, StepStatus.Running))
        {
            return RunDecision.None;
        }

        if (step.DeadlineAt is { } deadline && message.Timestamp < deadline)
        {
            return RunDecision.None;
        }

        var now = context.Now;
        if (step.AttemptDeliveries < context.MaxDeliveries)
        {
            // No StopWork here: it would make workers drop the new copy of this same attempt.
            return new RunDecision([
                new RunEffect.RecordEvent(RunEventTypes.RunRedriven, now, step.StepId, step.Attempt, JsonSerializer.Serialize(new
                {
                    finding = "attempt-not-reported",
                    resent = nameof(ExecuteStep),
                    delivery = step.AttemptDeliveries + 1,
                    window = DeliveryWindow(context, step.AttemptDeliveries + 1),
                })),
                new RunEffect.Dispatch(step.StepId, Redeliver: true),
            ]);
        }

        var effects = new List<RunEffect>
        {
            new RunEffect.StopWork(new StepExecutionCancelled { RunId = run.RunId, StepId = step.StepId, Attempt = step.Attempt, Timestamp = now }),
        };
        var timeout = plan[step.StepId].Timeout ?? context.DefaultStepTimeout;
        FailAttempt(effects, run, plan, step,
            new StepError($"Attempt {step.Attempt} did not finish within its timeout of {timeout} (sent {step.AttemptDeliveries} times; no worker reported on it).",
                true, "timeout"), now, "timed_out", null, context);
        return new RunDecision(effects);
    }

    /// <summary>StepRetryDue (the backoff timer): dispatch the next attempt of a retrying step.</summary>
    public static RunDecision OnRetryDue(StepState? step, StepRetryDue message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return IsCurrent(step, message.Attempt - 1, StepStatus.Retrying)
            ? new RunDecision([new RunEffect.Dispatch(step.StepId)])
            : RunDecision.None;
    }

    /// <summary>DelayElapsed (the delay's timer): the delay step succeeds.</summary>
    public static RunDecision OnDelayElapsed(RunPlan plan, StepState? step, DelayElapsed message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        if (!IsCurrent(step, message.Attempt, StepStatus.Waiting) || plan[step.StepId].Type != StepTypes.Delay)
        {
            return RunDecision.None;
        }

        var now = context.Now;
        var effects = new List<RunEffect> { new RunEffect.RecordEvent(RunEventTypes.StepStarted, step.AttemptDispatchedAt ?? now, step.StepId, step.Attempt) };
        var output = JsonSerializer.SerializeToElement(new { waitedUntil = message.Timestamp, resumedAt = now });
        Succeed(effects, plan, step, output, now, step.AttemptDispatchedAt);
        return new RunDecision(effects);
    }

    /// <summary>DecideApproval: approved, the step succeeds with the decision as output; rejected, the attempt fails (not retryable).</summary>
    public static RunDecision OnApprovalDecided(RunFacts run, RunPlan plan, StepState? step, DecideApproval message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);
        if (!IsCurrent(step, message.Attempt, StepStatus.Waiting) || plan[step.StepId].Type != StepTypes.Approval)
        {
            return RunDecision.None;
        }

        var decision = message.Approved ? "approved" : "rejected";
        var effects = new List<RunEffect>
        {
            new RunEffect.CancelTimer(TimerTokens.For(TimerKinds.Approval, run.RunId, step.StepId, step.Attempt)),
            new RunEffect.ApprovalsChanged(-1),
            new RunEffect.RecordEvent(RunEventTypes.ApprovalDecided, message.Timestamp, step.StepId, step.Attempt,
                JsonSerializer.Serialize(new { decision, decidedBy = message.DecidedBy, comment = message.Comment })),
        };
        if (message.Approved)
        {
            var output = JsonSerializer.SerializeToElement(new { decision, decidedBy = message.DecidedBy, comment = message.Comment, decidedAt = message.Timestamp });
            Succeed(effects, plan, step, output, message.Timestamp, step.AttemptDispatchedAt);
        }
        else
        {
            var by = message.DecidedBy is null ? "" : $" by {message.DecidedBy}";
            var comment = string.IsNullOrWhiteSpace(message.Comment) ? "" : $": {message.Comment}";
            FailAttempt(effects, run, plan, step, new StepError($"Rejected{by}{comment}", false, "rejected"), message.Timestamp, "failed", step.AttemptDispatchedAt, context);
        }

        return new RunDecision(effects);
    }

    /// <summary>Whether an ApprovalExpired is about the open approval of the current attempt (the driver then claims the expiry).</summary>
    public static bool ExpiryApplies(RunPlan plan, [NotNullWhen(true)] StepState? step, ApprovalExpired message)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);
        return IsCurrent(step, message.Attempt, StepStatus.Waiting) && plan[step.StepId].Type == StepTypes.Approval;
    }

    /// <summary>
    /// ApprovalExpired (the approval's timer): nobody decided in time, so the attempt fails as rejected.
    /// <paramref name="claimed"/> is false when a person decided just before the expiry: their decision settles the step.
    /// </summary>
    public static RunDecision OnApprovalExpired(RunFacts run, RunPlan plan, StepState? step, ApprovalExpired message, bool claimed, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!claimed || !ExpiryApplies(plan, step, message))
        {
            return RunDecision.None;
        }

        var now = context.Now;
        var effects = new List<RunEffect>
        {
            new RunEffect.ApprovalsChanged(-1),
            new RunEffect.RecordEvent(RunEventTypes.ApprovalDecided, now, step.StepId, step.Attempt, JsonSerializer.Serialize(new { decision = "expired" })),
        };
        FailAttempt(effects, run, plan, step,
            new StepError("Nobody decided before the approval expired; it counts as rejected.", false, "expired"), now, "failed", step.AttemptDispatchedAt, context);
        return new RunDecision(effects);
    }

    /// <summary>CallbackReceived (claimed by the API): a waiting callback step succeeds with the posted body as output.</summary>
    public static RunDecision OnCallbackReceived(RunFacts run, RunPlan plan, StepState? step, CallbackReceived message)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);

        // A call that arrives before the step starts is kept with the callback; Dispatch finds it there.
        if (step is not { Status: StepStatus.Waiting } || plan[step.StepId].Type != StepTypes.Callback)
        {
            return RunDecision.None;
        }

        var effects = new List<RunEffect>
        {
            new RunEffect.CancelTimer(TimerTokens.For(TimerKinds.Callback, run.RunId, step.StepId, step.Attempt)),
            new RunEffect.RecordEvent(RunEventTypes.StepStarted, step.StartedAt ?? message.Timestamp, step.StepId, step.Attempt),
        };
        Succeed(effects, plan, step, message.Body, message.Timestamp, step.StartedAt);
        return new RunDecision(effects);
    }

    /// <summary>Whether a CallbackExpired is about the waiting callback of the current attempt (the driver then claims the expiry).</summary>
    public static bool CallbackExpiryApplies(RunPlan plan, [NotNullWhen(true)] StepState? step, CallbackExpired message)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);
        return IsCurrent(step, message.Attempt, StepStatus.Waiting) && plan[step.StepId].Type == StepTypes.Callback;
    }

    /// <summary>
    /// CallbackExpired (the callback's timer): no call arrived in time, so the step fails. <paramref name="claimed"/> is
    /// false when a call arrived just before: its CallbackReceived settles the step.
    /// </summary>
    public static RunDecision OnCallbackExpired(RunFacts run, RunPlan plan, StepState? step, CallbackExpired message, bool claimed, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!claimed || !CallbackExpiryApplies(plan, step, message))
        {
            return RunDecision.None;
        }

        var now = context.Now;
        var effects = new List<RunEffect> { new RunEffect.RecordEvent(RunEventTypes.StepStarted, step.StartedAt ?? now, step.StepId, step.Attempt) };
        FailAttempt(effects, run, plan, step, new StepError(
            $"No call arrived at the callback URL within the step's timeout of {plan[step.StepId].Timeout}.", false, "timeout"),
            now, "timed_out", step.StartedAt, context);
        return new RunDecision(effects);
    }

    /// <summary>
    /// Starts the next attempt of <paramref name="step"/>: a delay waits on a timer, an approval opens a request, every
    /// other type is sent to a worker with a delivery window and a timeout counted from the worker's start. A value the
    /// engine cannot work out fails the attempt. With <paramref name="redeliver"/>, the current attempt of a worker step
    /// is sent again (same number, next delivery, twice the window) instead.
    /// </summary>
    public static RunDecision Dispatch(RunFacts run, RunPlan plan, StepState step, DispatchInputs inputs, DecisionContext context, bool redeliver = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        if (run.PausedAt is not null)
        {
            return Hold(step);
        }

        var planStep = plan[step.StepId];
        var now = context.Now;
        var attempt = redeliver ? step.Attempt : step.Attempt + 1;
        var next = redeliver
            ? step with { AttemptDeliveries = step.AttemptDeliveries + 1 }
            : step with { Attempt = attempt, AttemptDispatchedAt = now, AttemptDeliveries = 1 };
        var effects = new List<RunEffect>();
        if (!redeliver)
        {
            effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepReady, now, step.StepId, attempt));
        }

        if (planStep.ForEach is not null)
        {
            // A for-each step runs on its items (ItemDecisions); the step itself is never sent to a worker.
            ItemDecisions.Start(effects, run, plan, next, inputs, context);
            return new RunDecision(effects);
        }

        switch (planStep.Type)
        {
            case StepTypes.Delay:
                if (inputs.Problem is not null || inputs.DelayUntil is not { } until)
                {
                    FailAttempt(effects, run, plan, next with { Status = StepStatus.Running },
                        new StepError($"The delay's end could not be worked out: {inputs.Problem}", false, "expression"), now, "failed", null, context);
                    break;
                }

                // The delay's end is kept on the row: a watchdog that finds its timer lost re-sends it then, not sooner.
                effects.Add(new RunEffect.SetStep(next with { Status = StepStatus.Waiting, StartedAt = now, DeadlineAt = until }));
                effects.Add(RunEffect.Schedule(new DelayElapsed { RunId = run.RunId, StepId = step.StepId, Attempt = attempt, Timestamp = until },
                    until, TimerTokens.For(TimerKinds.Delay, run.RunId, step.StepId, attempt)));
                break;

            case StepTypes.Approval:
                if (inputs.Problem is not null || inputs.ApprovalMessage is not { } message)
                {
                    FailAttempt(effects, run, plan, next with { Status = StepStatus.Running },
                        new StepError($"The approval message could not be built: {inputs.Problem}", false, "expression"), now, "failed", null, context);
                    break;
                }

                var expiresAt = planStep.Timeout is { } timeout ? now + timeout : (DateTimeOffset?)null;
                effects.Add(new RunEffect.SetStep(next with { Status = StepStatus.Waiting, StartedAt = now, DeadlineAt = null }));
                effects.Add(new RunEffect.ApprovalsChanged(1));
                effects.Add(new RunEffect.OpenApproval(step.StepId, attempt, message, now, expiresAt));
                effects.Add(new RunEffect.RecordEvent(RunEventTypes.ApprovalRequested, now, step.StepId, attempt, JsonSerializer.Serialize(new { message, expiresAt })));
                if (expiresAt is { } expiry)
                {
                    effects.Add(RunEffect.Schedule(new ApprovalExpired { RunId = run.RunId, StepId = step.StepId, Attempt = attempt, Timestamp = expiry },
                        expiry, TimerTokens.For(TimerKinds.Approval, run.RunId, step.StepId, attempt)));
                }

                break;

            case StepTypes.Callback:
                if (inputs.CallbackBody is { } body)
                {
                    // The call arrived before the step started (its URL works from the run's start): done at once.
                    effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepStarted, now, step.StepId, attempt));
                    Succeed(effects, plan, next with { Status = StepStatus.Running, StartedAt = now }, JsonSerializer.Deserialize<JsonElement>(body), now, now);
                    break;
                }

                var callbackExpiry = planStep.Timeout is { } callbackTimeout ? now + callbackTimeout : (DateTimeOffset?)null;
                effects.Add(new RunEffect.SetStep(next with { Status = StepStatus.Waiting, StartedAt = now, DeadlineAt = callbackExpiry }));
                if (callbackExpiry is { } callbackDue)
                {
                    effects.Add(RunEffect.Schedule(new CallbackExpired { RunId = run.RunId, StepId = step.StepId, Attempt = attempt, Timestamp = callbackDue },
                        callbackDue, TimerTokens.For(TimerKinds.Callback, run.RunId, step.StepId, attempt)));
                }

                break;

            default:
                next = next with { Status = StepStatus.Running };
                if (planStep.SecretNames.FirstOrDefault(name => !inputs.SealedSecrets.ContainsKey(name)) is { } missing)
                {
                    FailAttempt(effects, run, plan, next, new StepError(
                        $"The secret '{missing}' is not set in workspace '{run.Workspace}'. Set it with PUT /api/v1/secrets/{missing}.", false, "secret_missing"),
                        now, "failed", null, context);
                    break;
                }

                // The timeout counts from the worker's start; a worker starts a copy only within its window, so the
                // attempt has ended or been reported by the window's end plus the timeout, unless it never started.
                var attemptTimeout = planStep.Timeout ?? context.DefaultStepTimeout;
                var startBy = now + DeliveryWindow(context, next.AttemptDeliveries);
                var deadline = startBy + attemptTimeout;
                effects.Add(new RunEffect.SetStep(next with { DeadlineAt = deadline }));
                effects.Add(Work(run, planStep, attempt, inputs, now, startBy, attemptTimeout, next.AttemptDeliveries));
                break;
        }

        return new RunDecision(effects);
    }

    /// <summary>
    /// The end of <paramref name="source"/>'s step reaches its dependents (<paramref name="dependents"/>: their current
    /// states): counters move, dependents with every need ended are dispatched or, when none of their needs
    /// succeeded, skipped (and their own end propagates in turn).
    /// </summary>
    public static RunDecision Propagate(RunPlan plan, RunEffect.Propagate source, IReadOnlyDictionary<string, StepState> dependents, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(dependents);
        ArgumentNullException.ThrowIfNull(context);
        if (plan[source.StepId].Dependents.Count == 0)
        {
            return RunDecision.None;
        }

        var now = context.Now;
        var propagation = RunScheduler.Propagate(plan, source.StepId, source.Outcome, source.ConditionResult,
            dependents.ToDictionary(d => d.Key, d => d.Value.Counters, StringComparer.Ordinal));
        var skipped = propagation.Skipped.ToHashSet(StringComparer.Ordinal);
        var effects = new List<RunEffect>(propagation.Updated.Count + (propagation.Skipped.Count * 3) + propagation.Ready.Count);
        foreach (var counters in propagation.Updated)
        {
            var state = dependents[counters.StepId] with { PendingNeeds = counters.PendingNeeds, SucceededNeeds = counters.SucceededNeeds };
            effects.Add(new RunEffect.SetStep(skipped.Contains(counters.StepId) ? state with { Status = StepStatus.Skipped, FinishedAt = now } : state));
        }

        foreach (var skippedId in propagation.Skipped)
        {
            effects.Add(new RunEffect.StepEnded(skippedId));
            effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepSkipped, now, skippedId, dependents.TryGetValue(skippedId, out var skippedState) ? skippedState.Attempt : 0));
        }

        effects.AddRange(propagation.Ready.Select(id => new RunEffect.Dispatch(id)));
        effects.AddRange(propagation.Skipped.Select(id => new RunEffect.Propagate(id, SourceOutcome.Skipped, null)));
        return new RunDecision(effects);
    }

    /// <summary>
    /// The <c>ExecuteStep</c> of one attempt (of a step, or of one for-each item when <paramref name="item"/> is given),
    /// sent to its type's queue: the one place that says what a worker receives.
    /// </summary>
    internal static RunEffect.SendWork Work(
        RunFacts run, PlanStep planStep, int attempt, DispatchInputs inputs, DateTimeOffset now, DateTimeOffset startBy, TimeSpan timeout, int delivery,
        int? item = null, JsonElement? itemValue = null) =>
        new(StepQueues.For(planStep.Type), new ExecuteStep
        {
            RunId = run.RunId,
            StepId = planStep.Id,
            Attempt = attempt,
            Item = item,
            ItemValue = itemValue,
            StepType = planStep.Type,
            Spec = planStep.Spec,
            Input = JsonSerializer.Deserialize<JsonElement>(run.Input),
            StepOutputs = inputs.Outputs,
            SealedSecrets = inputs.SealedSecrets,
            CallbackUrls = inputs.CallbackUrls,
            Workspace = run.Workspace,
            Workflow = run.Workflow,
            Version = run.Version,
            Deadline = startBy + timeout,
            Timeout = timeout,
            StartBy = startBy,
            Delivery = delivery,
            Timestamp = now,
        });

    /// <summary>The delivery window of an attempt's <paramref name="delivery"/>-th sending: the first window, doubled each time.</summary>
    public static TimeSpan DeliveryWindow(DecisionContext context, int delivery)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.DeliveryWindow * Math.Pow(2, Math.Clamp(delivery, 1, 20) - 1);
    }

    /// <summary>
    /// A paused run starts nothing: a step that became ready (its needs ended, or its retry fell due) is held as
    /// pending with no need left, keeping its attempt count, and <see cref="RunDecisions.OnResumeRun"/> dispatches it.
    /// </summary>
    public static RunDecision Hold(StepState step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return new RunDecision([new RunEffect.SetStep(step with { Status = StepStatus.Pending, PendingNeeds = 0, DeadlineAt = null })]);
    }

    /// <summary>Whether <paramref name="step"/> is held by a pause: ready, but not dispatched (see <see cref="Hold"/>).</summary>
    public static bool IsHeld(StepState step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step.Status == StepStatus.Pending && step.PendingNeeds == 0;
    }

    internal static void Succeed(List<RunEffect> effects, RunPlan plan, StepState step, JsonElement? output, DateTimeOffset at, DateTimeOffset? attemptStartedAt)
    {
        var done = step with
        {
            Status = StepStatus.Succeeded,
            Output = output?.GetRawText() ?? "null",
            Error = null,
            FinishedAt = at,
            DeadlineAt = null,
            ConditionResult = plan[step.StepId].Type == StepTypes.Condition ? ReadConditionResult(output) : step.ConditionResult,
        };
        effects.Add(new RunEffect.SetStep(done));
        effects.Add(AttemptEnded(done, "succeeded", at, attemptStartedAt, null));
        effects.Add(new RunEffect.StepEnded(step.StepId));
        effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepSucceeded, at, step.StepId, step.Attempt));
        effects.Add(new RunEffect.Propagate(step.StepId, SourceOutcome.Finished, done.ConditionResult));
    }

    /// <summary>An attempt failed: retry after the backoff if the policy and the error allow, else the step fails.</summary>
    internal static void FailAttempt(
        List<RunEffect> effects, RunFacts run, RunPlan plan, StepState step, StepError error, DateTimeOffset at, string attemptStatus,
        DateTimeOffset? attemptStartedAt, DecisionContext context)
    {
        var planStep = plan[step.StepId];
        var failed = step with { Error = error.Message, DeadlineAt = null };
        var attempt = AttemptEnded(failed, attemptStatus, at, attemptStartedAt, error.Message);
        if (Backoff.NextDelay(planStep.Retry, step.Attempt, RetryOn.Allows(planStep.Retry, error), context.JitterSample) is { } delay)
        {
            var nextAt = context.Now + delay;
            // The retry's due time is kept on the row: a watchdog that finds its timer lost re-sends it then, not sooner.
            effects.Add(new RunEffect.SetStep(failed with { Status = StepStatus.Retrying, DeadlineAt = nextAt }));
            effects.Add(attempt);
            effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepRetryScheduled, at, step.StepId, step.Attempt,
                JsonSerializer.Serialize(new { error = error.Message, nextAttempt = step.Attempt + 1, nextAttemptAt = nextAt })));
            effects.Add(RunEffect.Schedule(new StepRetryDue { RunId = run.RunId, StepId = step.StepId, Attempt = step.Attempt + 1, Timestamp = nextAt },
                nextAt, TimerTokens.For(TimerKinds.Retry, run.RunId, step.StepId, step.Attempt + 1)));
            return;
        }

        effects.Add(new RunEffect.SetStep(failed with { Status = StepStatus.Failed, FinishedAt = at }));
        effects.Add(attempt);
        effects.Add(new RunEffect.StepEnded(step.StepId));
        effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepFailed, at, step.StepId, step.Attempt,
            JsonSerializer.Serialize(new { error = error.Message, code = error.Code })));
        if (planStep.ContinueOnError)
        {
            effects.Add(new RunEffect.Propagate(step.StepId, SourceOutcome.Finished, null));
            return;
        }

        RunDecisions.Fail(effects, run, plan, $"Step '{step.StepId}' failed: {error.Message}", context.Now);
    }

    /// <summary>The history row of the attempt that just ended.</summary>
    private static RunEffect.RecordAttempt AttemptEnded(StepState step, string status, DateTimeOffset at, DateTimeOffset? startedAt, string? error) =>
        new(step.StepId, step.Attempt, status, step.AttemptDispatchedAt ?? at, startedAt, at, error);

    private static bool? ReadConditionResult(JsonElement? output) =>
        output is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("result", out var r) && r.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? r.GetBoolean()
            : null;
}
