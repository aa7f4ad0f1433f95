using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Decisions;

/// <summary>
/// Pure decisions about the items of a for-each step (docs/workflow-language.md, for-each): the step starting on its
/// list, an item's attempt dispatched, finishing, timing out or retried, and the step ending with its last item. The
/// step row keeps counters (dispatched, finished, failed) so that each decision touches the step row and one or two
/// item rows, never the list: an item costs the same at 10 items as at 10,000. At most the step's concurrency of
/// items are in flight; each item's end dispatches the next (not while the run is paused).
/// </summary>
internal static class ItemDecisions
{
    /// <summary>
    /// The for-each step <paramref name="next"/> starts (its attempt already counted): its list is stored as item rows
    /// and the first items (up to its concurrency) are dispatched. An empty list succeeds at once with <c>[]</c>; a
    /// value that is not a list fails the step (not retried: the same inputs give the same value).
    /// </summary>
    public static void Start(List<RunEffect> effects, RunFacts run, RunPlan plan, StepState next, DispatchInputs inputs, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(effects);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var now = context.Now;
        var planStep = plan[next.StepId];
        var started = next with { Status = StepStatus.Running, StartedAt = now, DeadlineAt = null };
        if (inputs.Problem is not null || inputs.ForEachItems is not { ValueKind: JsonValueKind.Array } list)
        {
            var problem = inputs.Problem is { } text
                ? $"The forEach expression failed: {text}"
                : $"forEach must give a list, but '{planStep.ForEach}' gave {Describe(inputs.ForEachItems)}.";
            StepDecisions.FailAttempt(effects, run, plan, started, new StepError(problem, false, "for_each"), now, "failed", now, context);
            return;
        }

        var count = list.GetArrayLength();
        effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepStarted, now, next.StepId, next.Attempt,
            JsonSerializer.Serialize(new { items = count, concurrency = planStep.ForEachConcurrency })));
        if (count == 0)
        {
            StepDecisions.Succeed(effects, plan, started with { ItemCount = 0 }, JsonSerializer.SerializeToElement(Array.Empty<object>()), now, now);
            return;
        }

        var first = Math.Min(count, planStep.ForEachConcurrency);
        effects.Add(new RunEffect.SetStep(started with { ItemCount = count, ItemsDispatched = first, ItemsFinished = 0, ItemsFailed = 0 }));
        effects.Add(new RunEffect.AddItems(next.StepId, list));
        for (var index = 0; index < first; index++)
        {
            effects.Add(new RunEffect.DispatchItem(next.StepId, index));
        }
    }

    /// <summary>
    /// Starts the next attempt of <paramref name="item"/> on a worker, with the item as <c>item</c> and its index as
    /// <c>index</c>; with <paramref name="redeliver"/> sends its current attempt again (as for steps, ADR 0014). A paused
    /// run holds it (pending, its attempts kept) until it is resumed. Nothing happens once the step has ended.
    /// </summary>
    public static RunDecision Dispatch(
        RunFacts run, RunPlan plan, StepState parent, ItemState item, DispatchInputs inputs, DecisionContext context, bool redeliver = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        if (parent.Status != StepStatus.Running || RunScheduler.IsTerminal(item.Status))
        {
            return RunDecision.None;
        }

        if (run.PausedAt is not null)
        {
            return new RunDecision([new RunEffect.SetItem(item with { Status = StepStatus.Pending, DeadlineAt = null })]);
        }

        var planStep = plan[item.StepId];
        var now = context.Now;
        var attempt = redeliver ? item.Attempt : item.Attempt + 1;
        var next = (redeliver
            ? item with { AttemptDeliveries = item.AttemptDeliveries + 1 }
            : item with { Attempt = attempt, AttemptDispatchedAt = now, AttemptDeliveries = 1 }) with { Status = StepStatus.Running };
        var effects = new List<RunEffect>(3);
        if (planStep.SecretNames.FirstOrDefault(name => !inputs.SealedSecrets.ContainsKey(name)) is { } missing)
        {
            FailAttempt(effects, run, plan, parent, next, new StepError(
                $"The secret '{missing}' is not set in workspace '{run.Workspace}'. Set it with PUT /api/v1/secrets/{missing}.", false, "secret_missing"),
                now, context);
            return new RunDecision(effects);
        }

        var attemptTimeout = planStep.Timeout ?? context.DefaultStepTimeout;
        var startBy = now + StepDecisions.DeliveryWindow(context, next.AttemptDeliveries);
        var deadline = startBy + attemptTimeout;
        effects.Add(new RunEffect.SetItem(next with { DeadlineAt = deadline }));
        effects.Add(StepDecisions.Work(run, planStep, attempt, inputs, now, startBy, attemptTimeout, next.AttemptDeliveries, item.Index, JsonSerializer.Deserialize<JsonElement>(item.Value)));
        return new RunDecision(effects);
    }

    /// <summary>Whether <paramref name="item"/> of the running step <paramref name="parent"/> is in <paramref name="expected"/> status on <paramref name="attempt"/>.</summary>
    public static bool IsCurrent([NotNullWhen(true)] StepState? parent, [NotNullWhen(true)] ItemState? item, int attempt, StepStatus expected) =>
        parent is { Status: StepStatus.Running } && item is not null && item.Status == expected && item.Attempt == attempt;

    /// <summary>StepFinished for an item: it succeeded (its slot is filled), or its attempt failed (retry, or the item fails).</summary>
    public static RunDecision OnItemFinished(RunFacts run, RunPlan plan, StepState? parent, ItemState? item, StepFinished message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        if (!IsCurrent(parent, item, message.Attempt, StepStatus.Running))
        {
            return RunDecision.None;
        }

        var effects = new List<RunEffect>(8)
        {
            new RunEffect.RecordEvent(RunEventTypes.ItemStarted, message.StartedAt, item.StepId, item.Attempt, ItemData(item.Index)),
        };
        var started = item with { StartedAt = item.StartedAt ?? message.StartedAt };
        if (message.Succeeded)
        {
            var done = started with
            {
                Status = StepStatus.Succeeded,
                Output = message.Output?.GetRawText() ?? "null",
                Error = null,
                ErrorCode = null,
                FinishedAt = message.Timestamp,
                DeadlineAt = null,
            };
            effects.Add(new RunEffect.SetItem(done));
            effects.Add(new RunEffect.RecordEvent(RunEventTypes.ItemSucceeded, message.Timestamp, item.StepId, item.Attempt, ItemData(item.Index)));
            Ended(effects, run, parent, failed: false);
        }
        else
        {
            FailAttempt(effects, run, plan, parent, started, message.Error ?? new StepError("The worker reported a failure without a reason.", false),
                message.Timestamp, context);
        }

        return new RunDecision(effects);
    }

    /// <summary>
    /// StepTimedOut for an item (the sweeper read its deadline): as for a step, the attempt is sent again with a longer
    /// window up to <see cref="DecisionContext.MaxDeliveries"/> times, then it fails as timed out (and may be retried).
    /// </summary>
    public static RunDecision OnItemTimedOut(RunFacts run, RunPlan plan, StepState? parent, ItemState? item, StepTimedOut message, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        if (!IsCurrent(parent, item, message.Attempt, StepStatus.Running) || (item.DeadlineAt is { } deadline && message.Timestamp < deadline))
        {
            return RunDecision.None;
        }

        var now = context.Now;
        if (item.AttemptDeliveries < context.MaxDeliveries)
        {
            return new RunDecision([
                new RunEffect.RecordEvent(RunEventTypes.RunRedriven, now, item.StepId, item.Attempt, JsonSerializer.Serialize(new
                {
                    finding = "attempt-not-reported",
                    resent = nameof(ExecuteStep),
                    item = item.Index,
                    delivery = item.AttemptDeliveries + 1,
                    window = StepDecisions.DeliveryWindow(context, item.AttemptDeliveries + 1),
                })),
                new RunEffect.DispatchItem(item.StepId, item.Index, Redeliver: true),
            ]);
        }

        var effects = new List<RunEffect>
        {
            new RunEffect.StopWork(new StepExecutionCancelled { RunId = run.RunId, StepId = item.StepId, Attempt = item.Attempt, Item = item.Index, Timestamp = now }),
        };
        var timeout = plan[item.StepId].Timeout ?? context.DefaultStepTimeout;
        FailAttempt(effects, run, plan, parent, item, new StepError(
            $"Attempt {item.Attempt} of item {item.Index} did not finish within its timeout of {timeout} (sent {item.AttemptDeliveries} times; no worker reported on it).",
            true, "timeout"), now, context);
        return new RunDecision(effects);
    }

    /// <summary>StepRetryDue for an item: dispatch its next attempt.</summary>
    public static RunDecision OnItemRetryDue(StepState? parent, ItemState? item, StepRetryDue message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return IsCurrent(parent, item, message.Attempt - 1, StepStatus.Retrying)
            ? new RunDecision([new RunEffect.DispatchItem(item.StepId, item.Index)])
            : RunDecision.None;
    }

    /// <summary>
    /// The last item ended: the step succeeds with <paramref name="outputs"/>, the items' outputs in order, read once
    /// (with <c>continueOnError</c>, a failed item's slot holds <c>{"error": {message, code}}</c>).
    /// </summary>
    public static RunDecision Complete(RunPlan plan, StepState? parent, JsonElement outputs, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        if (parent is not { Status: StepStatus.Running, ItemCount: { } count } || parent.ItemsFinished < count)
        {
            return RunDecision.None;
        }

        var effects = new List<RunEffect>(6);
        StepDecisions.Succeed(effects, plan, parent, outputs, context.Now, parent.StartedAt);
        return new RunDecision(effects);
    }

    /// <summary>
    /// ResumeRun for a running for-each step: its items a pause held (their retries fell due) are dispatched, then new
    /// items fill the free places up to its concurrency.
    /// </summary>
    public static IEnumerable<RunEffect> Release(RunPlan plan, StepState parent, IReadOnlyList<ItemState> held)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(held);
        if (parent.Status != StepStatus.Running || parent.ItemCount is not { } count)
        {
            yield break;
        }

        foreach (var item in held.OrderBy(i => i.Index))
        {
            yield return new RunEffect.DispatchItem(item.StepId, item.Index);
        }

        var free = Math.Min(plan[parent.StepId].ForEachConcurrency - parent.ItemsInFlight, count - parent.ItemsDispatched);
        if (free <= 0)
        {
            yield break;
        }

        yield return new RunEffect.SetStep(parent with { ItemsDispatched = parent.ItemsDispatched + free });
        for (var index = parent.ItemsDispatched; index < parent.ItemsDispatched + free; index++)
        {
            yield return new RunEffect.DispatchItem(parent.StepId, index);
        }
    }

    /// <summary>Whether <paramref name="item"/> is held by a pause: dispatched before, then stopped before its next attempt.</summary>
    public static bool IsHeld(ItemState item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Status == StepStatus.Pending && item.Attempt > 0;
    }

    /// <summary>An item's attempt failed: retry after the step's backoff if its policy and the error allow, else the item fails.</summary>
    private static void FailAttempt(
        List<RunEffect> effects, RunFacts run, RunPlan plan, StepState parent, ItemState item, StepError error, DateTimeOffset at, DecisionContext context)
    {
        var planStep = plan[item.StepId];
        var failed = item with { Error = error.Message, ErrorCode = error.Code, DeadlineAt = null };
        if (Backoff.NextDelay(planStep.Retry, item.Attempt, RetryOn.Allows(planStep.Retry, error), context.JitterSample) is { } delay)
        {
            var nextAt = context.Now + delay;
            effects.Add(new RunEffect.SetItem(failed with { Status = StepStatus.Retrying, DeadlineAt = nextAt }));
            effects.Add(new RunEffect.RecordEvent(RunEventTypes.ItemRetryScheduled, at, item.StepId, item.Attempt,
                JsonSerializer.Serialize(new { item = item.Index, error = error.Message, nextAttempt = item.Attempt + 1, nextAttemptAt = nextAt })));
            effects.Add(RunEffect.Schedule(
                new StepRetryDue { RunId = run.RunId, StepId = item.StepId, Item = item.Index, Attempt = item.Attempt + 1, Timestamp = nextAt },
                nextAt, TimerTokens.For(TimerKinds.Retry, run.RunId, item.Key, item.Attempt + 1)));
            return;
        }

        effects.Add(new RunEffect.SetItem(failed with { Status = StepStatus.Failed, FinishedAt = at }));
        effects.Add(new RunEffect.RecordEvent(RunEventTypes.ItemFailed, at, item.StepId, item.Attempt,
            JsonSerializer.Serialize(new { item = item.Index, error = error.Message, code = error.Code })));
        if (planStep.ContinueOnError)
        {
            Ended(effects, run, parent, failed: true);
            return;
        }

        // Without continueOnError the first item that fails for good fails the step, and with it the run: items in
        // flight are told to stop (the run's StopWork), and no further item starts.
        var message = $"Item {item.Index} failed: {error.Message}";
        var step = parent with
        {
            Status = StepStatus.Failed,
            Error = message,
            FinishedAt = at,
            ItemsFinished = parent.ItemsFinished + 1,
            ItemsFailed = parent.ItemsFailed + 1,
        };
        effects.Add(new RunEffect.SetStep(step));
        effects.Add(new RunEffect.RecordAttempt(step.StepId, step.Attempt, "failed", step.AttemptDispatchedAt ?? at, step.StartedAt, at, message));
        effects.Add(new RunEffect.StepEnded(step.StepId));
        effects.Add(new RunEffect.RecordEvent(RunEventTypes.StepFailed, at, step.StepId, step.Attempt,
            JsonSerializer.Serialize(new { error = message, code = error.Code, item = item.Index })));
        RunDecisions.Fail(effects, run, plan, $"Step '{step.StepId}' failed: {message}", context.Now);
    }

    /// <summary>An item ended: the step's counters move; the last one completes the step, any other lets the next item start.</summary>
    private static void Ended(List<RunEffect> effects, RunFacts run, StepState parent, bool failed)
    {
        var step = parent with { ItemsFinished = parent.ItemsFinished + 1, ItemsFailed = parent.ItemsFailed + (failed ? 1 : 0) };
        if (step.ItemsFinished >= step.ItemCount)
        {
            effects.Add(new RunEffect.SetStep(step));
            effects.Add(new RunEffect.CompleteItems(step.StepId));
            return;
        }

        if (run.PausedAt is null && step.ItemsDispatched < step.ItemCount)
        {
            // The next item takes the place this one left; while paused the place stays free until resume fills it.
            effects.Add(new RunEffect.SetStep(step with { ItemsDispatched = step.ItemsDispatched + 1 }));
            effects.Add(new RunEffect.DispatchItem(step.StepId, step.ItemsDispatched));
            return;
        }

        effects.Add(new RunEffect.SetStep(step));
    }

    private static string ItemData(int index) => JsonSerializer.Serialize(new { item = index });

    private static string Describe(JsonElement? value) => value?.ValueKind switch
    {
        null or JsonValueKind.Undefined => "nothing",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => value.Value.ValueKind.ToString().ToLowerInvariant(),
    };
}
