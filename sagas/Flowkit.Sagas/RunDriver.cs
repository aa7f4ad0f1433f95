using System.Diagnostics;
using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Planning;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Flowkit.Sagas;

/// <summary>
/// Turns the pure <see cref="RunScheduler"/> decisions into row changes, timeline events and outbox messages,
/// inside the transaction that holds the run's lock. Used by the run saga's activities; scoped per message.
/// Every handler first checks state: a message for an attempt that is not the current one changes nothing.
/// </summary>
public sealed class RunDriver(IRunStore store, IOutbox outbox, IEngineExpressions expressions, IConcurrencySlots slots, TimeProvider time, IOptions<EngineOptions> options, IEnumerable<IRunTimelineObserver> observers)
{
    private const string RetryTimer = TimerKinds.Retry;
    private const string DelayTimer = TimerKinds.Delay;
    private const string ApprovalTimer = TimerKinds.Approval;
    private const string RunTimer = TimerKinds.RunTimeout;

    private readonly EngineOptions _options = options.Value;

    /// <summary>When the worker started the attempt being finished in this transition (from its report).</summary>
    private DateTimeOffset? _attemptStartedAt;

    private readonly List<RunLifecycleEvent> _timeline = [];

    public async Task StartAsync(ConsumeContext context, RunState run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        var cancellationToken = context.CancellationToken;
        if (run.StartedAt is not null)
        {
            return;
        }

        var plan = await store.GetPlanAsync(run.WorkflowId, run.Version, cancellationToken);
        var now = time.GetUtcNow();
        if (plan.Options.ConcurrencyLimit is { } limit && !run.HoldsSlot)
        {
            if (!await slots.TryAcquireAsync(run, limit, now, cancellationToken))
            {
                // Over the workflow's limit: the run stays pending, in line; a finishing run hands it its slot.
                return;
            }

            run.HoldsSlot = true;
        }

        var rows = RunScheduler.Initial(plan)
            .Select(c => new StepRow
            {
                RunId = run.CorrelationId,
                StepId = c.StepId,
                Index = plan[c.StepId].Index,
                Status = c.Status,
                PendingNeeds = c.PendingNeeds,
                SucceededNeeds = c.SucceededNeeds,
            })
            .ToDictionary(r => r.StepId, StringComparer.Ordinal);
        store.AddSteps(rows.Values);

        run.RemainingSteps = plan.Steps.Count;
        run.StartedAt = now;
        AddEvent(run, RunEventTypes.RunStarted, now);
        if (plan.Options.Timeout is { } runTimeout)
        {
            outbox.Schedule(new RunTimedOut { RunId = run.CorrelationId, Timestamp = now + runTimeout }, now + runTimeout,
                TimerTokens.For(RunTimer, run.CorrelationId), run.CorrelationId);
        }

        foreach (var root in plan.Roots)
        {
            await DispatchAsync(context, run, plan, rows[root.Id], now);
            if (run.Outcome is not null)
            {
                return;
            }
        }

        await CompleteIfDoneAsync(run, now, cancellationToken);
    }

    public async Task StepFinishedAsync(ConsumeContext context, RunState run, StepFinished message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(message);
        var (plan, row) = await CurrentAsync(context, run, message.StepId, message.Attempt, StepStatus.Running);
        if (row is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        AddEvent(run, RunEventTypes.StepStarted, message.StartedAt, row.StepId, row.Attempt);
        row.StartedAt ??= message.StartedAt;
        _attemptStartedAt = message.StartedAt;

        if (message.Succeeded)
        {
            await SucceedAsync(context, run, plan, row, message.Output, message.Timestamp, now);
        }
        else
        {
            var error = message.Error ?? new StepError("The worker reported a failure without a reason.", false);
            await FailAttemptAsync(context, run, plan, row, error, message.Timestamp, now, "failed");
        }

        await CompleteIfDoneAsync(run, now, context.CancellationToken);
    }

    public async Task StepTimedOutAsync(ConsumeContext context, RunState run, StepTimedOut message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(message);
        var (plan, row) = await CurrentAsync(context, run, message.StepId, message.Attempt, StepStatus.Running);
        if (row is null)
        {
            return;
        }

        var now = time.GetUtcNow();

        // The worker may still be at it (hung) or gone (died); either way this attempt is over. Tell a live worker
        // to stop; an answer that still arrives is for an attempt that is no longer current and changes nothing.
        outbox.Publish(new StepExecutionCancelled { RunId = run.CorrelationId, StepId = row.StepId, Attempt = row.Attempt, Timestamp = now }, run.CorrelationId);
        var timeout = plan[row.StepId].Timeout ?? _options.DefaultStepTimeout;
        await FailAttemptAsync(context, run, plan, row,
            new StepError($"Attempt {row.Attempt} did not finish within its timeout of {timeout}.", true, "timeout"), now, now, "timed_out");
        await CompleteIfDoneAsync(run, now, context.CancellationToken);
    }

    public async Task RetryDueAsync(ConsumeContext context, RunState run, StepRetryDue message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(message);
        var (plan, row) = await CurrentAsync(context, run, message.StepId, message.Attempt - 1, StepStatus.Retrying);
        if (row is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        await DispatchAsync(context, run, plan, row, now);
        await CompleteIfDoneAsync(run, now, context.CancellationToken);
    }

    public async Task DelayElapsedAsync(ConsumeContext context, RunState run, DelayElapsed message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(message);
        var (plan, row) = await CurrentAsync(context, run, message.StepId, message.Attempt, StepStatus.Waiting);
        if (row is null || plan[row.StepId].Type != StepTypes.Delay)
        {
            return;
        }

        var now = time.GetUtcNow();
        AddEvent(run, RunEventTypes.StepStarted, row.AttemptDispatchedAt ?? now, row.StepId, row.Attempt);
        _attemptStartedAt = row.AttemptDispatchedAt;
        var output = JsonSerializer.SerializeToElement(new { waitedUntil = message.Timestamp, resumedAt = now });
        await SucceedAsync(context, run, plan, row, output, now, now);
        await CompleteIfDoneAsync(run, now, context.CancellationToken);
    }

    public async Task ApprovalDecidedAsync(ConsumeContext context, RunState run, DecideApproval message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(message);
        var (plan, row) = await CurrentAsync(context, run, message.StepId, message.Attempt, StepStatus.Waiting);
        if (row is null || plan[row.StepId].Type != StepTypes.Approval)
        {
            return;
        }

        var now = time.GetUtcNow();
        await outbox.CancelAsync(TimerTokens.For(ApprovalTimer, run.CorrelationId, row.StepId, row.Attempt), context.CancellationToken);
        _attemptStartedAt = row.AttemptDispatchedAt;
        run.OpenApprovals--;
        var decision = message.Approved ? "approved" : "rejected";
        AddEvent(run, RunEventTypes.ApprovalDecided, message.Timestamp, row.StepId, row.Attempt,
            JsonSerializer.Serialize(new { decision, decidedBy = message.DecidedBy, comment = message.Comment }));
        if (message.Approved)
        {
            var output = JsonSerializer.SerializeToElement(new { decision, decidedBy = message.DecidedBy, comment = message.Comment, decidedAt = message.Timestamp });
            await SucceedAsync(context, run, plan, row, output, message.Timestamp, now);
        }
        else
        {
            var by = message.DecidedBy is null ? "" : $" by {message.DecidedBy}";
            var comment = string.IsNullOrWhiteSpace(message.Comment) ? "" : $": {message.Comment}";
            await FailAttemptAsync(context, run, plan, row, new StepError($"Rejected{by}{comment}", false, "rejected"), message.Timestamp, now, "failed");
        }

        await CompleteIfDoneAsync(run, now, context.CancellationToken);
    }

    public async Task ApprovalExpiredAsync(ConsumeContext context, RunState run, ApprovalExpired message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(message);
        var (plan, row) = await CurrentAsync(context, run, message.StepId, message.Attempt, StepStatus.Waiting);
        if (row is null || plan[row.StepId].Type != StepTypes.Approval)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (!await store.TryExpireApprovalAsync(run.CorrelationId, row.StepId, row.Attempt, now, context.CancellationToken))
        {
            // Someone decided just before the expiry; their decision message settles the step.
            return;
        }

        run.OpenApprovals--;
        _attemptStartedAt = row.AttemptDispatchedAt;
        AddEvent(run, RunEventTypes.ApprovalDecided, now, row.StepId, row.Attempt, JsonSerializer.Serialize(new { decision = "expired" }));
        await FailAttemptAsync(context, run, plan, row,
            new StepError("Nobody decided before the approval expired; it counts as rejected.", false, "expired"), now, now, "failed");
        await CompleteIfDoneAsync(run, now, context.CancellationToken);
    }

    public async Task CancelAsync(ConsumeContext context, RunState run, CancelRun message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(message);
        var now = time.GetUtcNow();
        run.Outcome = RunOutcome.Cancelled;
        run.Error = message.Reason is null ? "Cancelled." : $"Cancelled: {message.Reason}";
        await EndRunAsync(run, RunEventTypes.RunCancelled, now, JsonSerializer.Serialize(new { requestedBy = message.RequestedBy, reason = message.Reason }), context.CancellationToken);
    }

    public async Task RunTimedOutAsync(ConsumeContext context, RunState run, RunTimedOut message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(message);
        var plan = await store.GetPlanAsync(run.WorkflowId, run.Version, context.CancellationToken);
        var now = time.GetUtcNow();
        await FailRunAsync(run, $"The run did not finish within its timeout of {plan.Options.Timeout}.", now, context.CancellationToken);
    }

    private async Task<(RunPlan Plan, StepRow? Row)> CurrentAsync(ConsumeContext context, RunState run, string stepId, int attempt, StepStatus expected)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plan = await store.GetPlanAsync(run.WorkflowId, run.Version, context.CancellationToken);
        if (!plan.TryGetStep(stepId, out _))
        {
            return (plan, null);
        }

        // The step and its dependents in one read: advancing the run needs the dependents next.
        var dependents = plan[stepId].Dependents;
        var wanted = new List<string>(dependents.Count + 1) { stepId };
        wanted.AddRange(dependents);
        var steps = await store.GetStepsAsync(run.CorrelationId, wanted, context.CancellationToken);
        return steps.TryGetValue(stepId, out var row) && row.Status == expected && row.Attempt == attempt
            ? (plan, row)
            : (plan, null);
    }

    private async Task SucceedAsync(ConsumeContext context, RunState run, RunPlan plan, StepRow row, JsonElement? output, DateTimeOffset at, DateTimeOffset now)
    {
        var step = plan[row.StepId];
        row.Status = StepStatus.Succeeded;
        row.Output = output?.GetRawText() ?? "null";
        row.Error = null;
        row.FinishedAt = at;
        if (step.Type == StepTypes.Condition)
        {
            row.ConditionResult = ReadConditionResult(output);
        }

        FinishAttempt(run, row, "succeeded", at, null);
        run.RemainingSteps--;
        AddEvent(run, RunEventTypes.StepSucceeded, at, row.StepId, row.Attempt);
        await PropagateAsync(context, run, plan, row.StepId, SourceOutcome.Finished, row.ConditionResult, now);
    }

    private async Task FailAttemptAsync(ConsumeContext context, RunState run, RunPlan plan, StepRow row, StepError error, DateTimeOffset at, DateTimeOffset now, string attemptStatus)
    {
        var step = plan[row.StepId];
        row.Error = error.Message;
        FinishAttempt(run, row, attemptStatus, at, error.Message);
        var retryIn = Backoff.NextDelay(step.Retry, row.Attempt, error.Retryable, Random.Shared.NextDouble());
        if (retryIn is { } delay)
        {
            var nextAt = now + delay;
            row.Status = StepStatus.Retrying;
            AddEvent(run, RunEventTypes.StepRetryScheduled, at, row.StepId, row.Attempt,
                JsonSerializer.Serialize(new { error = error.Message, nextAttempt = row.Attempt + 1, nextAttemptAt = nextAt }));
            outbox.Schedule(new StepRetryDue { RunId = run.CorrelationId, StepId = row.StepId, Attempt = row.Attempt + 1, Timestamp = nextAt },
                nextAt, TimerTokens.For(RetryTimer, run.CorrelationId, row.StepId, row.Attempt + 1), run.CorrelationId);
            return;
        }

        row.Status = StepStatus.Failed;
        row.FinishedAt = at;
        run.RemainingSteps--;
        AddEvent(run, RunEventTypes.StepFailed, at, row.StepId, row.Attempt, JsonSerializer.Serialize(new { error = error.Message, code = error.Code }));

        if (step.ContinueOnError)
        {
            await PropagateAsync(context, run, plan, row.StepId, SourceOutcome.Finished, null, now);
            return;
        }

        await FailRunAsync(run, $"Step '{row.StepId}' failed: {error.Message}", now, context.CancellationToken);
    }

    private async Task PropagateAsync(ConsumeContext context, RunState run, RunPlan plan, string sourceStepId, SourceOutcome outcome, bool? conditionResult, DateTimeOffset now)
    {
        var work = new Queue<(string StepId, SourceOutcome Outcome, bool? ConditionResult)>();
        work.Enqueue((sourceStepId, outcome, conditionResult));
        while (work.TryDequeue(out var item) && run.Outcome is null)
        {
            var dependents = plan[item.StepId].Dependents;
            if (dependents.Count == 0)
            {
                continue;
            }

            var rows = await store.GetStepsAsync(run.CorrelationId, dependents, context.CancellationToken);
            var propagation = RunScheduler.Propagate(plan, item.StepId, item.Outcome, item.ConditionResult,
                rows.ToDictionary(r => r.Key, r => r.Value.Counters, StringComparer.Ordinal));

            foreach (var counters in propagation.Updated)
            {
                var row = rows[counters.StepId];
                row.PendingNeeds = counters.PendingNeeds;
                row.SucceededNeeds = counters.SucceededNeeds;
            }

            foreach (var skippedId in propagation.Skipped)
            {
                var row = rows[skippedId];
                row.Status = StepStatus.Skipped;
                row.FinishedAt = now;
                run.RemainingSteps--;
                AddEvent(run, RunEventTypes.StepSkipped, now, skippedId, row.Attempt);
                work.Enqueue((skippedId, SourceOutcome.Skipped, null));
            }

            foreach (var readyId in propagation.Ready)
            {
                await DispatchAsync(context, run, plan, rows[readyId], now);
                if (run.Outcome is not null)
                {
                    return;
                }
            }
        }
    }

    private async Task DispatchAsync(ConsumeContext context, RunState run, RunPlan plan, StepRow row, DateTimeOffset now)
    {
        var cancellationToken = context.CancellationToken;
        var step = plan[row.StepId];
        row.Attempt++;
        AddEvent(run, RunEventTypes.StepReady, now, row.StepId, row.Attempt);
        var outputs = await ReferencedOutputsAsync(run, step, cancellationToken);
        row.AttemptDispatchedAt = now;

        switch (step.Type)
        {
            case StepTypes.Delay:
            {
                DateTimeOffset until;
                try
                {
                    until = expressions.DelayUntil(step, run, outputs, now);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    row.Status = StepStatus.Running;
                    await FailAttemptAsync(context, run, plan, row, new StepError($"The delay's end could not be worked out: {ex.Message}", false, "expression"), now, now, "failed");
                    return;
                }

                row.Status = StepStatus.Waiting;
                row.StartedAt = now;
                outbox.Schedule(new DelayElapsed { RunId = run.CorrelationId, StepId = row.StepId, Attempt = row.Attempt, Timestamp = until },
                    until, TimerTokens.For(DelayTimer, run.CorrelationId, row.StepId, row.Attempt), run.CorrelationId);
                return;
            }

            case StepTypes.Approval:
            {
                string message;
                try
                {
                    message = expressions.ApprovalMessage(step, run, outputs);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    row.Status = StepStatus.Running;
                    await FailAttemptAsync(context, run, plan, row, new StepError($"The approval message could not be built: {ex.Message}", false, "expression"), now, now, "failed");
                    return;
                }

                row.Status = StepStatus.Waiting;
                row.StartedAt = now;
                run.OpenApprovals++;
                var expiresAt = step.Timeout is { } timeout ? now + timeout : (DateTimeOffset?)null;
                store.AddApproval(new ApprovalRow
                {
                    RunId = run.CorrelationId,
                    StepId = row.StepId,
                    Attempt = row.Attempt,
                    Workspace = run.Workspace,
                    Message = message,
                    RequestedAt = now,
                    ExpiresAt = expiresAt,
                });
                AddEvent(run, RunEventTypes.ApprovalRequested, now, row.StepId, row.Attempt, JsonSerializer.Serialize(new { message, expiresAt }));
                if (expiresAt is { } expiry)
                {
                    outbox.Schedule(new ApprovalExpired { RunId = run.CorrelationId, StepId = row.StepId, Attempt = row.Attempt, Timestamp = expiry },
                        expiry, TimerTokens.For(ApprovalTimer, run.CorrelationId, row.StepId, row.Attempt), run.CorrelationId);
                }

                return;
            }
        }

        row.Status = StepStatus.Running;
        var sealedSecrets = step.SecretNames.Count == 0
            ? new Dictionary<string, string>()
            : await store.GetSealedSecretsAsync(run.Workspace, step.SecretNames, cancellationToken);
        if (step.SecretNames.FirstOrDefault(name => !sealedSecrets.ContainsKey(name)) is { } missing)
        {
            await FailAttemptAsync(context, run, plan, row,
                new StepError($"The secret '{missing}' is not set in workspace '{run.Workspace}'. Set it with PUT /api/v1/secrets/{missing}.", false, "secret_missing"), now, now, "failed");
            return;
        }

        var deadline = now + (step.Timeout ?? _options.DefaultStepTimeout);
        row.DeadlineAt = deadline;
        outbox.Send(StepQueues.For(step.Type), new ExecuteStep
        {
            RunId = run.CorrelationId,
            StepId = step.Id,
            Attempt = row.Attempt,
            StepType = step.Type,
            Spec = step.Spec,
            Input = JsonSerializer.Deserialize<JsonElement>(run.Input),
            StepOutputs = outputs,
            SealedSecrets = sealedSecrets,
            Workspace = run.Workspace,
            Workflow = run.Workflow,
            Version = run.Version,
            Deadline = deadline,
            Timestamp = now,
        }, run.CorrelationId);
    }

    private async Task<Dictionary<string, JsonElement>> ReferencedOutputsAsync(RunState run, PlanStep step, CancellationToken cancellationToken)
    {
        var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (step.References.Count == 0)
        {
            return outputs;
        }

        var referenced = await store.GetStepsAsync(run.CorrelationId, step.References, cancellationToken);
        foreach (var (id, referencedRow) in referenced)
        {
            if (referencedRow.Output is { } output)
            {
                outputs[id] = JsonSerializer.Deserialize<JsonElement>(output);
            }
        }

        return outputs;
    }

    /// <summary>Writes the history row of the attempt that just ended.</summary>
    private void FinishAttempt(RunState run, StepRow row, string status, DateTimeOffset at, string? error)
    {
        row.DeadlineAt = null;
        store.AddAttempt(new StepAttemptRow
        {
            RunId = run.CorrelationId,
            StepId = row.StepId,
            Attempt = row.Attempt,
            Status = status,
            DispatchedAt = row.AttemptDispatchedAt ?? at,
            StartedAt = _attemptStartedAt,
            FinishedAt = at,
            Error = error,
        });
        _attemptStartedAt = null;
    }

    private async Task FailRunAsync(RunState run, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        run.Outcome = RunOutcome.Failed;
        run.Error = error;
        await EndRunAsync(run, RunEventTypes.RunFailed, now, JsonSerializer.Serialize(new { error }), cancellationToken);
    }

    /// <summary>Ends the run early (failed or cancelled): nothing of it starts afterwards.</summary>
    private async Task EndRunAsync(RunState run, string eventType, DateTimeOffset now, string data, CancellationToken cancellationToken)
    {
        run.FinishedAt = now;
        run.OpenApprovals = 0;
        await store.CancelOpenStepsAsync(run.CorrelationId, now, cancellationToken);
        await outbox.CancelAllAsync(run.CorrelationId, cancellationToken);

        // Steps dispatched earlier in this same transition (a fan-out whose later branch failed the run) must not
        // reach a worker: their rows are marked cancelled above, so their work is dropped before it is committed.
        outbox.Discard<ExecuteStep>(run.CorrelationId);
        outbox.Publish(new StepExecutionCancelled { RunId = run.CorrelationId, Timestamp = now }, run.CorrelationId);
        await ReleaseSlotAsync(run, now, cancellationToken);
        AddEvent(run, eventType, now, data: data);
    }

    private async Task CompleteIfDoneAsync(RunState run, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (run.Outcome is null && run.RemainingSteps == 0)
        {
            run.Outcome = RunOutcome.Succeeded;
            run.FinishedAt = now;
            await outbox.CancelAllAsync(run.CorrelationId, cancellationToken);
            await ReleaseSlotAsync(run, now, cancellationToken);
            AddEvent(run, RunEventTypes.RunSucceeded, now);
        }
    }

    private async Task ReleaseSlotAsync(RunState run, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var plan = await store.GetPlanAsync(run.WorkflowId, run.Version, cancellationToken);
        if (plan.Options.ConcurrencyLimit is not { } limit)
        {
            return;
        }

        if (run.HoldsSlot)
        {
            run.HoldsSlot = false;
            await slots.ReleaseAsync(run, limit, now, cancellationToken);
        }
        else if (run.StartedAt is null)
        {
            await slots.LeaveAsync(run, limit, now, cancellationToken);
        }
    }

    private static bool? ReadConditionResult(JsonElement? output) =>
        output is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("result", out var r) && r.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? r.GetBoolean()
            : null;

    /// <summary>
    /// Publishes the events this transition added as one message (one outbox row and one broker publish per
    /// transition, not per event). Called once at the end of every transition.
    /// </summary>
    public void PublishTimeline(RunState run)
    {
        ArgumentNullException.ThrowIfNull(run);
        foreach (var observer in observers) { observer.Appended(run, _timeline); } // metrics and logs (docs/observability.md)
        if (_timeline.Count == 0 || !_options.PublishLifecycleEvents)
        {
            _timeline.Clear();
            return;
        }

        outbox.Publish(new RunTimelineAppended
        {
            RunId = run.CorrelationId,
            Workspace = run.Workspace,
            Workflow = run.Workflow,
            Version = run.Version,
            Events = [.. _timeline],
            Timestamp = _timeline[^1].Timestamp,
        }, run.CorrelationId);
        _timeline.Clear();
    }

    private void AddEvent(RunState run, string type, DateTimeOffset at, string? stepId = null, int? attempt = null, string? data = null)
    {
        // Every event carries an attempt (CONTRACT.md section 3): a step's attempt on step events, the run's on run events.
        attempt ??= stepId is null ? run.Attempt : null;
        var traceId = Activity.Current?.TraceId.ToString();
        store.AddEvent(new RunEventRow
        {
            RunId = run.CorrelationId,
            Workspace = run.Workspace,
            Type = type,
            StepId = stepId,
            Attempt = attempt,
            Timestamp = at,
            Data = data,
            TraceId = traceId,
        });
        _timeline.Add(new RunLifecycleEvent
        {
            Type = type,
            RunId = run.CorrelationId,
            Workspace = run.Workspace,
            Workflow = run.Workflow,
            Version = run.Version,
            StepId = stepId,
            Attempt = attempt,
            Timestamp = at,
            TraceId = traceId,
            Data = data,
        });
    }
}
