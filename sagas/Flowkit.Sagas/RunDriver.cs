using System.Diagnostics;
using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Planning;
using MassTransit;

namespace Flowkit.Sagas;

/// <summary>
/// Turns the pure <see cref="RunScheduler"/> decisions into row changes, timeline events and messages, inside the
/// transaction that holds the run's lock. Used by the run saga's activities; scoped per consumed message.
/// </summary>
public sealed class RunDriver(IRunStore store, TimeProvider time)
{
    public async Task StartAsync(ConsumeContext context, RunState run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        var cancellationToken = context.CancellationToken;
        var plan = await store.GetPlanAsync(run.WorkflowId, run.Version, cancellationToken);
        var now = time.GetUtcNow();

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

        foreach (var root in plan.Roots)
        {
            await DispatchAsync(context, run, plan, rows[root.Id], now);
        }
    }

    public async Task StepFinishedAsync(ConsumeContext context, RunState run, StepFinished message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(message);
        var cancellationToken = context.CancellationToken;
        var plan = await store.GetPlanAsync(run.WorkflowId, run.Version, cancellationToken);
        var steps = await store.GetStepsAsync(run.CorrelationId, [message.StepId], cancellationToken);
        if (!steps.TryGetValue(message.StepId, out var row) || row.Status != StepStatus.Running || row.Attempt != message.Attempt)
        {
            // A duplicate or a late answer from an attempt that is no longer current: state says it changes nothing.
            return;
        }

        var step = plan[message.StepId];
        var now = time.GetUtcNow();
        AddEvent(run, RunEventTypes.StepStarted, message.StartedAt, row.StepId, row.Attempt);
        row.StartedAt ??= message.StartedAt;

        if (message.Succeeded)
        {
            row.Status = StepStatus.Succeeded;
            row.Output = message.Output?.GetRawText() ?? "null";
            row.Error = null;
            row.FinishedAt = message.Timestamp;
            if (step.Type == StepTypes.Condition)
            {
                row.ConditionResult = ReadConditionResult(message.Output);
            }

            run.RemainingSteps--;
            AddEvent(run, RunEventTypes.StepSucceeded, message.Timestamp, row.StepId, row.Attempt);
            await PropagateAsync(context, run, plan, row.StepId, SourceOutcome.Finished, row.ConditionResult, now);
        }
        else
        {
            var error = message.Error ?? new StepError("The worker reported a failure without a reason.", false);
            await FailAttemptAsync(context, run, plan, row, error, message.Timestamp, now);
        }

        CompleteIfDone(run, now);
    }

    private async Task FailAttemptAsync(ConsumeContext context, RunState run, RunPlan plan, StepRow row, StepError error, DateTimeOffset at, DateTimeOffset now)
    {
        var step = plan[row.StepId];
        row.Error = error.Message;
        var retryIn = Backoff.NextDelay(step.Retry, row.Attempt, error.Retryable, Random.Shared.NextDouble());
        if (retryIn is not null)
        {
            row.Status = StepStatus.Retrying;
            AddEvent(run, RunEventTypes.StepRetryScheduled, at, row.StepId, row.Attempt,
                JsonSerializer.Serialize(new { error = error.Message, nextAttemptAt = now + retryIn.Value }));

            // Until durable scheduling lands (issue 5) the next attempt is dispatched at once.
            await DispatchAsync(context, run, plan, row, now);
            return;
        }

        row.Status = StepStatus.Failed;
        row.FinishedAt = at;
        run.RemainingSteps--;
        AddEvent(run, RunEventTypes.StepFailed, at, row.StepId, row.Attempt, JsonSerializer.Serialize(new { error = error.Message }));

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
        while (work.TryDequeue(out var item))
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
                AddEvent(run, RunEventTypes.StepSkipped, now, skippedId);
                work.Enqueue((skippedId, SourceOutcome.Skipped, null));
            }

            foreach (var readyId in propagation.Ready)
            {
                await DispatchAsync(context, run, plan, rows[readyId], now);
            }
        }
    }

    private async Task DispatchAsync(ConsumeContext context, RunState run, RunPlan plan, StepRow row, DateTimeOffset now)
    {
        var step = plan[row.StepId];
        row.Attempt++;
        row.Status = StepStatus.Running;
        AddEvent(run, RunEventTypes.StepReady, now, row.StepId, row.Attempt);

        if (!step.RunsOnWorker)
        {
            // Approvals and delays are durable waits inside the engine; they arrive with the run engine (issue 5).
            await FailAttemptAsync(context, run, plan, row,
                new StepError($"The '{step.Type}' step type is not supported by this engine version yet.", false, "unsupported"), now, now);
            return;
        }

        var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (step.References.Count > 0)
        {
            var referenced = await store.GetStepsAsync(run.CorrelationId, step.References, context.CancellationToken);
            foreach (var (id, referencedRow) in referenced)
            {
                if (referencedRow.Output is { } output)
                {
                    outputs[id] = JsonSerializer.Deserialize<JsonElement>(output);
                }
            }
        }

        var command = new ExecuteStep
        {
            RunId = run.CorrelationId,
            StepId = step.Id,
            Attempt = row.Attempt,
            StepType = step.Type,
            Spec = step.Spec,
            Input = JsonSerializer.Deserialize<JsonElement>(run.Input),
            StepOutputs = outputs,
            Workspace = run.Workspace,
            Workflow = run.Workflow,
            Version = run.Version,
            Deadline = step.Timeout is { } timeout ? now + timeout : null,
            Timestamp = now,
        };

        var endpoint = await context.GetSendEndpoint(new Uri($"queue:{StepQueues.For(step.Type)}"));
        await endpoint.Send(command, context.CancellationToken);
    }

    private async Task FailRunAsync(RunState run, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        run.Outcome = RunOutcome.Failed;
        run.Error = error;
        run.FinishedAt = now;
        await store.CancelOpenStepsAsync(run.CorrelationId, now, cancellationToken);
        AddEvent(run, RunEventTypes.RunFailed, now, data: JsonSerializer.Serialize(new { error }));
    }

    private void CompleteIfDone(RunState run, DateTimeOffset now)
    {
        if (run.Outcome is null && run.RemainingSteps == 0)
        {
            run.Outcome = RunOutcome.Succeeded;
            run.FinishedAt = now;
            AddEvent(run, RunEventTypes.RunSucceeded, now);
        }
    }

    private static bool? ReadConditionResult(JsonElement? output) =>
        output is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("result", out var r) && r.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? r.GetBoolean()
            : null;

    private void AddEvent(RunState run, string type, DateTimeOffset at, string? stepId = null, int? attempt = null, string? data = null) =>
        store.AddEvent(new RunEventRow
        {
            RunId = run.CorrelationId,
            Workspace = run.Workspace,
            Type = type,
            StepId = stepId,
            Attempt = attempt,
            Timestamp = at,
            Data = data,
            TraceId = Activity.Current?.TraceId.ToString(),
        });
}
